# netacl oci-hook under a real OCI runtime: runc runs busybox containers
# whose config.json carries the hook as examples/oci/netacl.json would
# have podman or CRI-O put it there (runc itself reads no hooks.d).  Each
# container has its own network namespace and uses only its loopback;
# its cgroup is under the test's ($KCG), its state under $T.

OCI_HOOKS_D=$ROOT/examples/oci/netacl.json

# need_runc: after need_kernel, so that a missing runc fails under
# NETACL_REQUIRE_BPF=1 (CI installs it)
need_runc() {
  command -v runc >/dev/null && [ -x /bin/busybox ] ||
    skip "needs runc and busybox-static (apt-get install runc busybox-static)"
  RUNC="runc --root $T/runc-state"
  CTRS=
  trap oci_cleanup EXIT
}

# Delete the test's containers, then the cgroups runc made for them in the
# v1 hierarchies of a hybrid host (on cgroup2 they are under $KCG), then
# what need_kernel made.
oci_cleanup() {
  local c h
  for c in $CTRS; do $RUNC delete -f "$c" >/dev/null 2>&1; done
  for h in $(awk '$3 == "cgroup" { print $2 }' /proc/mounts); do
    for c in $CTRS; do rmdir "$h/$KCG/$c" 2>/dev/null; done
    rmdir "$h/$KCG" "$h/netacl-test" 2>/dev/null
  done
  for c in $CTRS; do rmdir "$CG2/$KCG/$c" 2>/dev/null; done
  kernel_cleanup
}

# A compiled policy in the hook's policy directory $T/etc: $KT allows
# 127.0.0.1:8080 (loopback is special-purpose: exempted) and nothing else.
oci_policy() {
  mkdir -p "$T/etc" "$T/rootfs/bin" "$T/rootfs/proc" "$T/rootfs/dev" "$T/rootfs/sys"
  printf 'version: 1\nacls:\n  %s:\n    allow: ["127.0.0.1:8080"]\n    private: [loopback]\n' "$KT" > p.yaml
  "$NETACL" compile p.yaml --offline -o "$T/etc/p.json" || return 1
  cp /bin/busybox "$T/rootfs/bin/"
  local a
  for a in sh ip nc sleep echo cat; do ln -s busybox "$T/rootfs/bin/$a"; done
}

# The container's command: loopback up, a listener on 8080, then a
# connect to 8080 (allowed) and to 8081 (denied: EPERM; with no policy,
# refused).  Output on stdout, one line per step.
OCI_SCRIPT='exec 2>&1; echo STARTED; ip link set lo up || echo LO-FAILED
sleep 3 | nc -l -p 8080 & sleep 0.3
echo hello | nc -w 2 127.0.0.1 8080; echo "allowed rc=$?"
echo x | nc -w 2 127.0.0.1 8081; echo "denied rc=$?"'

# bundle NAME [ANNOTATION=VALUE]...: $T/NAME/config.json from `runc spec`,
# running OCI_SCRIPT in the cgroup $KCG/NAME, with the hook of the hooks.d
# file (its path pointed at $NETACL, the policy directory at $T/etc) at
# its stages, and the annotations given.
bundle() {
  local name=$1; shift
  mkdir -p "$T/$name" && runc spec --bundle "$T/$name" || return 1
  CTRS="$CTRS $name"
  $PY - "$T/$name/config.json" "$OCI_HOOKS_D" "$NETACL" "$T" "/$KCG/$name" "$OCI_SCRIPT" "$@" <<'E'
import json, os, sys
path, hooksd, netacl, t, cg, script = sys.argv[1:7]
c, h = json.load(open(path)), json.load(open(hooksd))
c["root"] = {"path": t + "/rootfs", "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", script]
for caps in c["process"]["capabilities"].values():
    caps.append("CAP_NET_ADMIN")          # to bring its own lo up
c["linux"]["cgroupsPath"] = cg
# runc gives hooks its own environment unless a hook has one: give it
# one, as podman and CRI-O do, with the test's pin root
env = ["NETACL_PIN_ROOT=" + os.environ["NETACL_PIN_ROOT"]]
env += [k + "=" + v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")]
hook = dict(h["hook"], path=netacl, args=h["hook"]["args"] + ["--policy-dir", t + "/etc"], env=env)
c["hooks"] = {stage: [hook] for stage in h["stages"]}
c["annotations"] = dict(a.split("=", 1) for a in sys.argv[7:])
json.dump(c, open(path, "w"), indent=1)
E
}

# wait_stopped NAME: until runc says the container stopped (10 s at most)
wait_stopped() {
  local i
  for i in $(seq 100); do
    $RUNC state "$1" 2>/dev/null | grep -q '"status": "stopped"' && return 0
    sleep 0.1
  done
  fail "container $1 did not stop"
}

# loaded: the loaded targets and their cgroups, "NAME CGROUP" a line
loaded() {
  "$NETACL" status --json > "$T/st.json" || return 1
  jget "$T/st.json" '"\n".join(t["target"] + " " + t["cgroup"] + " " + t["mode"] for t in d["targets"])'
}

# hook STAGE JSON: the hook run by hand with this state
hook() { run "$NETACL" oci-hook --policy-dir "$T/etc" $1 <<< "$2"; }

test_kernel_oci_hook_confines_container_until_deleted() {
  need_kernel ocirun; need_runc; oci_policy || return 1
  local id=c1 digest
  digest=$(sha256sum < "$T/etc/p.json" | cut -c1-64)
  bundle $id io.netacl.target="$KT" io.netacl.policy=p.json io.netacl.digest="sha256:$digest" || return 1
  # created: loaded on the container's cgroup, its process not started yet
  $RUNC create --bundle "$T/$id" $id < /dev/null > out 2>&1
  rc=$?; expect_rc 0 || { cat out >&2; return 1; }
  [ "$(loaded)" = "$KT@oci-$id $CG2/$KCG/$id enforce" ] || fail "not loaded as $KT@oci-$id on its cgroup: $(loaded)"
  [ -n "$(cat "$CG2/$KCG/$id/cgroup.procs")" ] || fail "the container's process is not in $CG2/$KCG/$id"
  ! grep -q STARTED out || fail "the process ran before start"
  $RUNC start $id && wait_stopped $id || return 1
  cat out >&2
  grep -qx hello out && grep -qx "allowed rc=0" out || fail "the allowed connect failed"
  grep -q "can't connect.*Operation not permitted" out && grep -qx "denied rc=1" out ||
    fail "the denied connect was not refused with EPERM"
  ! grep -q LO-FAILED out || fail "lo did not come up"
  # deleted: poststop unloaded it; runc removed the cgroup
  run $RUNC delete $id; expect_rc 0 || return 1
  [ -z "$(loaded)" ] || fail "still loaded after delete: $(loaded)"
  [ -z "$(ls -A "$NETACL_PIN_ROOT" 2>/dev/null)" ] || fail "pins left: $(ls "$NETACL_PIN_ROOT")"
  [ ! -e "$CG2/$KCG/$id" ] || fail "the container's cgroup is left"
  [ -z "$($RUNC list -q)" ] || fail "runc still lists $($RUNC list -q)"
  # poststop again: nothing loaded is nothing to do
  hook poststop "{\"ociVersion\":\"1.0.2\",\"id\":\"$id\",\"status\":\"stopped\",\"annotations\":{\"io.netacl.target\":\"$KT\"}}"
  expect_rc 0 && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] || fail "a second poststop was not silent"
}

# Two containers of one policy: two targets, each on its own cgroup, and
# deleting one leaves the other enforcing.
test_kernel_oci_two_containers_keep_their_own_targets() {
  need_kernel ocitwo; need_runc; oci_policy || return 1
  local id
  for id in c1 c2; do
    bundle $id io.netacl.target="$KT" io.netacl.policy="$T/etc/p.json" || return 1
    $RUNC create --bundle "$T/$id" $id < /dev/null > out-$id 2>&1 || { cat out-$id >&2; fail "create $id"; return 1; }
  done
  [ "$(loaded | sort)" = "$KT@oci-c1 $CG2/$KCG/c1 enforce
$KT@oci-c2 $CG2/$KCG/c2 enforce" ] || fail "not one target per container: $(loaded)"
  $RUNC delete -f c1 || fail "delete c1"
  [ "$(loaded)" = "$KT@oci-c2 $CG2/$KCG/c2 enforce" ] || fail "deleting c1 took c2's: $(loaded)"
  [ "$("$PROBE" --cgroup "$CG2/$KCG/c2" tcp 127.0.0.1 8081 tcp 127.0.0.1 8080 | awk '{ print $4 }' | paste -sd' ')" = "deny allow" ] ||
    fail "c2 is not enforced after c1 went"
  $RUNC delete -f c2 || fail "delete c2"
  [ -z "$(loaded)" ] || fail "still loaded: $(loaded)"
}

# A container that asks for what cannot be loaded never runs its process.
test_kernel_oci_bad_annotations_refuse_the_container() {
  need_kernel ocibad; need_runc; oci_policy || return 1
  echo '{}' > outside.json
  cp p.yaml "$T/etc/p.yaml"
  local case n=0 why ann
  while IFS='|' read -r why ann; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    bundle bad$n io.netacl.target="$KT" $ann || return 1
    run $RUNC run --bundle "$T/bad$n" bad$n < /dev/null
    [ "$rc" != 0 ] || fail "$why: the container ran (exit 0)"
    grep -q "netacl oci-hook: error: container bad$n: .*it must not start" "$T/out" "$T/err" ||
      fail "$why: no reason from the hook"
    grep -qF -- "$why" "$T/out" "$T/err" || fail "$why: not said"
    ! grep -q STARTED "$T/out" || fail "$why: the process ran"
    [ -z "$(ls -A "$NETACL_PIN_ROOT" 2>/dev/null)" ] || fail "$why: pins left"
    [ ! -e "$CG2/$KCG/bad$n" ] || fail "$why: its cgroup is left"
    [ -z "$($RUNC list -q)" ] || fail "$why: runc lists it"
  done <<E
no target named|io.netacl.policy=p.json io.netacl.target=nope
is not in|io.netacl.policy=../outside.json
is not in|io.netacl.policy=$T/outside.json
not a compiled policy|io.netacl.policy=p.yaml
not the expected|io.netacl.policy=p.json io.netacl.digest=$(printf '0%.0s' $(seq 64))
not a SHA-256|io.netacl.policy=p.json io.netacl.digest=$T/etc/p.json
without io.netacl.policy|
unknown annotation io.netacl.polcy|io.netacl.polcy=p.json
E
}

test_kernel_oci_container_without_annotations_is_untouched() {
  need_kernel ocinone; need_runc; oci_policy || return 1
  bundle plain || return 1
  run $RUNC run --bundle "$T/plain" plain < /dev/null
  cat "$T/out" >&2
  expect_rc 0 && expect_out STARTED && expect_out "allowed rc=0" || return 1
  no_out "Operation not permitted"; expect_out "Connection refused"
  [ -z "$(ls -A "$NETACL_PIN_ROOT" 2>/dev/null)" ] || fail "something was loaded"
  # and the hook, by hand, says nothing at either stage
  for s in creating stopped created; do
    hook "" "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"$s\",\"pid\":1,\"annotations\":{\"other\":\"v\"}}"
    expect_rc 0 && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] || fail "$s: not silent"
  done
}

# Without a live pid, the cgroup comes from config.json; the root cgroup
# and a missing one are refused, and a missing one is not made.
test_kernel_oci_hook_cgroup_from_config() {
  need_kernel ocicfg; oci_policy || return 1
  SLEEPER=
  trap '[ -z "$SLEEPER" ] || { kill $SLEEPER; wait $SLEEPER; } 2>/dev/null; rmdir "$CG2/$KCG/cfg" "$CG2/$KCG/live" 2>/dev/null; kernel_cleanup' EXIT
  mkdir -p b "$CG2/$KCG/cfg" "$CG2/$KCG/live"
  local st="{\"ociVersion\":\"1.0.2\",\"id\":\"cfg\",\"bundle\":\"$T/b\",\"pid\":999999999,\"annotations\":{\"io.netacl.target\":\"$KT\",\"io.netacl.policy\":\"p.json\"}"
  echo "{\"linux\":{\"cgroupsPath\":\"/$KCG/cfg\"}}" > b/config.json
  hook createRuntime "$st}"
  expect_rc 0 && expect_err "loaded $KT@oci-cfg on $CG2/$KCG/cfg" || return 1
  [ "$("$PROBE" --cgroup "$CG2/$KCG/cfg" tcp 127.0.0.1 8080 tcp 127.0.0.1 8081 | awk '{ print $4 }' | paste -sd' ')" = "allow deny" ] ||
    fail "not enforced on the config's cgroup"
  hook "" "$st,\"status\":\"stopped\"}"
  expect_rc 0 && expect_err "unloaded $KT@oci-cfg" || return 1
  [ -z "$(ls -A "$NETACL_PIN_ROOT")" ] || fail "pins left"
  rmdir "$CG2/$KCG/cfg"
  # missing: refused, and not made
  hook createRuntime "$st}"
  expect_rc 66 && expect_err "cgroup $CG2/$KCG/cfg does not exist" || return 1
  [ ! -e "$CG2/$KCG/cfg" ] || fail "the missing cgroup was made"
  # the root: refused (the digest is wrong too: were the check gone,
  # nothing would be loaded on the whole host all the same)
  echo '{"linux":{"cgroupsPath":"/"}}' > b/config.json
  hook createRuntime "${st%\}},\"io.netacl.digest\":\"$(printf '0%.0s' $(seq 64))\"}}"
  expect_rc 65 && expect_err "is the cgroup2 root" || return 1
  # systemd's form, for a slice that is not there
  echo '{"linux":{"cgroupsPath":"netacl-test-none.slice:oci:cfg"}}' > b/config.json
  hook createRuntime "$st}"
  expect_rc 66 && expect_err "netacl-test.slice/netacl-test-none.slice/oci-cfg.scope does not exist"
  [ -z "$(ls -A "$NETACL_PIN_ROOT" 2>/dev/null)" ] || fail "something was loaded"
  # a live pid: its cgroup, whatever config.json says
  sleep 60 & SLEEPER=$!
  echo $SLEEPER > "$CG2/$KCG/live/cgroup.procs" || return 1
  mkdir "$CG2/$KCG/cfg"
  echo "{\"linux\":{\"cgroupsPath\":\"/$KCG/cfg\"}}" > b/config.json
  hook createRuntime "${st/999999999/$SLEEPER}}"
  expect_rc 0 && expect_err "loaded $KT@oci-cfg on $CG2/$KCG/live" || return 1
  kill $SLEEPER; wait $SLEEPER
  hook poststop "$st}"
  expect_rc 0 && expect_err "unloaded $KT@oci-cfg"
}

test_kernel_oci_hook_input_errors() {
  need_kernel ociin; oci_policy || return 1
  local ok='"ociVersion":"1.0.2","id":"e","pid":999999999,"bundle":"/nonexistent"'
  local ann="\"annotations\":{\"io.netacl.target\":\"$KT\",\"io.netacl.policy\":\"p.json\"}"
  hook createRuntime "not json"
  expect_rc 65 && expect_err "netacl oci-hook: error: the state on standard input is not JSON"
  run "$NETACL" oci-hook createRuntime < /dev/null
  expect_rc 65 && expect_err "no state on standard input"
  hook createRuntime "{\"ociVersion\":\"1\",$ann}"
  expect_rc 65 && expect_err 'no "id"'
  hook "" "{$ok,\"status\":\"created\",$ann}"
  expect_rc 65 && expect_err "status 'created' is not one netacl acts at"
  hook poststart "{$ok,\"status\":\"created\",$ann}"
  expect_rc 64 && expect_err "createRuntime (or prestart) and poststop only"
  hook createRuntime "{$ok,\"status\":\"stopped\",$ann}"
  expect_rc 64 && expect_err "configured for a stage it is not run at"
  # no live pid, and the bundle has no config.json
  hook createRuntime "{$ok,$ann}"
  expect_rc 66 && expect_err "/nonexistent/config.json" && expect_err "it must not start"
  run "$NETACL" oci-hook --bogus < /dev/null
  expect_rc 64 && expect_err "unexpected argument '--bogus'"
  run "$NETACL" oci-hook --help
  expect_rc 0 && expect_out "usage: netacl oci-hook"
  [ -z "$(ls -A "$NETACL_PIN_ROOT" 2>/dev/null)" ] || fail "something was loaded"
}
