# Programs verified for what the policy uses (netacl-api.h, NETACL_LACKS_*):
# a first load leaves out the code of what its policy does not use (most
# of the verifier's work, most of a `netacl run`), and a reload that needs
# more first attaches programs with all of it.  And the deny table's
# first-byte blocks (conf.blocks), which answer most '*' verdicts without
# the trie.  Loopback, and a network namespace of the test's own.

# kl_size TYPE: bytes_xlated of the target's program of bpftool's attach
# type TYPE (cgroup_inet4_connect, cgroup_inet4_bind, ...)
kl_size() {
  local id
  id=$(bpftool cgroup show "$CG2/$KCG" -j | $PY -c 'import json, sys
print([p["id"] for p in json.load(sys.stdin) if p["attach_type"] == sys.argv[1]][0])' "$1") || return 1
  bpftool prog show id "$id" -j | $PY -c 'import json, sys; print(json.load(sys.stdin)["bytes_xlated"])'
}

# the attach types of the programs attached to the test's cgroup, sorted
kl_types() {
  bpftool cgroup show "$CG2/$KCG" -j | $PY -c 'import json, sys
print(" ".join(sorted(p["attach_type"] for p in json.load(sys.stdin))))'
}

# The policy that uses nothing has the smallest programs, and none of
# what it does not use (bind, live DNS, limits); the reload that brings a
# bind rule, a cap and '*' attaches whole ones, all of them, and they
# enforce.
test_kernel_lacks_first_load_is_small_and_a_reload_grows_it() {
  need_kernel lacks; trap run_cleanup EXIT
  klim_listen || return 1
  klim_policy "$KT"
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  local c4 s6
  c4=$(kl_size cgroup_inet4_connect) s6=$(kl_size cgroup_udp6_sendmsg)
  [ "$(kl_types)" = "cgroup_inet4_connect cgroup_inet6_connect cgroup_inet_egress cgroup_inet_sock_create cgroup_setsockopt cgroup_udp4_sendmsg cgroup_udp6_sendmsg" ] ||
    fail "first load: $(kl_types)"
  run "$NETACL" status --json; expect_rc 0
  [ "$(jget "$T/out" "[t['state'] for t in d['targets'] if t['target'] == '$KT'][0]")" = enforced ] || fail "status: $(cat "$T/out")"
  klim_policy "$KT" "bind: [\"127.0.0.1:9000\"]" "max_connections: 2"
  sed -i "s|allow: \[|allow: [\"*:$KLIM_P\", |" "$KT.yaml"
  load_ok "$KT.yaml" --target "$KT" || return 1
  grep -q "replaced" "$T/err" || fail "not a reload: $(cat "$T/err")"
  no_err "repaired" || return 1
  [ "$(kl_types | wc -w)" = 15 ] || fail "after the reload: $(kl_types)"
  [ "$(kl_size cgroup_inet4_connect)" -gt "$c4" ] || fail "connect4 did not grow from $c4"
  [ "$(kl_size cgroup_inet4_bind)" -gt 1000 ] || fail "bind4 is $(kl_size cgroup_inet4_bind) bytes"
  [ "$(kl_size cgroup_udp6_sendmsg)" -gt "$s6" ] || fail "sendmsg6 did not grow from $s6"
  # each of the three enforced: the bind rule, the cap, and '*' (its
  # deny table: 10.0.0.1 is refused, which sends nothing)
  klim_hold a tcpc 127.0.0.1 "$KLIM_P" tcpc 127.0.0.1 "$KLIM_P" || return 1
  diff <(verdicts tcpbind 127.0.0.1 9000  tcpbind 127.0.0.1 9001  tcpc 127.0.0.1 "$KLIM_P" \
                  tcp 10.0.0.1 "$KLIM_P"  tcp 127.0.0.1 $((KLIM_P + 5))) - <<E >&2 || fail "after the reload"
tcpbind 127.0.0.1 9000 allow
tcpbind 127.0.0.1 9001 deny
tcpc 127.0.0.1 $KLIM_P limit
tcp 10.0.0.1 $KLIM_P deny
tcp 127.0.0.1 $((KLIM_P + 5)) deny
E
  klim_free a
  # and the next reload keeps them (no second upgrade is needed)
  load_ok "$KT.yaml" --target "$KT" || return 1
  [ "$(verdicts tcpbind 127.0.0.1 9001 | awk '{ print $4 }')" = deny ] || fail "bind rule lost"
  faithful "$KT.yaml" "the upgraded target"
}

# An upgrade under a connect loop: the address both policies allow never
# fails, the one neither allows never passes.
test_kernel_lacks_upgrade_under_load_keeps_verdicts() {
  need_kernel lacksload; trap run_cleanup EXIT
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  # one loop a port: a loop of one connect finds a gap of a few ms
  probe --loop 40000 tcp 127.0.0.1 80 > counts80 &
  local allowed=$! i
  probe --loop 100000 tcp 127.0.0.1 81 > counts81 &
  local loop=$!
  sleep 0.2 # the loops run (a second or more) when the programs change
  for i in 1 2 3; do
    printf 'version: 1\nacls:\n  %s:\n    allow: ["127.0.0.1:80"]\n    bind: ["127.0.0.1:%d"]\n' "$KT" $((9000 + i)) > b.yaml
    load_ok b.yaml --target "$KT" || break
    load_ok "$KT.yaml" --target "$KT" || break
  done
  wait $loop $allowed
  cat counts80 counts81 > counts
  diff counts - <<'E' >&2 || fail "verdicts changed while the programs were replaced"
tcp 127.0.0.1 80 allow=40000 deny=0
tcp 127.0.0.1 81 allow=0 deny=100000
E
}

# '*' less loopback: addresses in blocks the first byte decides (none of
# the table, all of it) and in blocks where the trie does, in a namespace
# where the global ones are local addresses (nothing leaves it).
test_kernel_lacks_star_blocks_and_trie_agree() {
  need_kernel blocks
  command -v unshare >/dev/null && command -v ip >/dev/null || skip "needs unshare and ip"
  printf 'version: 1\nacls:\n  %s:\n    allow: ["*"]\n    private: [loopback]\n' "$KT" > "$KT.yaml"
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  unshare -n sh -c "ip link set lo up && ip addr add 11.22.33.44/32 dev lo && ip addr add 100.1.2.3/32 dev lo &&
    ip -6 addr add 2606:2800::1/128 dev lo && ip -6 addr add 2001:4860::1/128 dev lo &&
    exec '$PROBE' --cgroup '$CG2/$KCG' tcp 11.22.33.44 80 tcp 100.1.2.3 80 tcp 100.64.0.1 80 \
      tcp 10.0.0.1 80 tcp 127.0.0.1 80 tcp 224.0.0.1 80 tcp 192.0.2.1 80 \
      tcp6 2606:2800::1 80 tcp6 2001:4860::1 80 tcp6 2001:db8::1 80 tcp6 fc00::1 80 \
      tcp6 ::1 80 tcp6 ::2 80 tcp6 ff02::1 80" | awk '{ print $1, $2, $3, $4 }' > got || return 1
  diff got - <<'E' >&2 || fail "verdicts"
tcp 11.22.33.44 80 allow
tcp 100.1.2.3 80 allow
tcp 100.64.0.1 80 deny
tcp 10.0.0.1 80 deny
tcp 127.0.0.1 80 allow
tcp 224.0.0.1 80 deny
tcp 192.0.2.1 80 deny
tcp6 2606:2800::1 80 allow
tcp6 2001:4860::1 80 allow
tcp6 2001:db8::1 80 deny
tcp6 fc00::1 80 deny
tcp6 ::1 80 allow
tcp6 ::2 80 deny
tcp6 ff02::1 80 deny
E
}

# conf's copies of small sets (bpf/conf.h) are what the programs read:
# a copy that disagreed with the maps would enforce what inspect does not
# show, so inspect refuses to show it.  Each copy is changed here as a
# loader's bug would (tests/kernel/confpoke.py), then reloaded right.
test_kernel_inspect_refuses_conf_copies_that_disagree() {
  need_kernel confcopy
  local pins="$NETACL_PIN_ROOT/$KT" poke="$ROOT/tests/kernel/confpoke.py"
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  # list4[0]'s network (offset 160): 127.0.0.2 instead of 127.0.0.1
  $PY "$poke" "$pins" 160 7f000002 || fail "poke" || return 1
  [ "$(verdicts tcp 127.0.0.2 80 | awk '{ print $4 }')" = allow ] || fail "the programs do not read the list"
  run "$NETACL" inspect --target "$KT" --json; expect_rc 70 && expect_err "cannot read the loaded maps" && no_out 127.0.0.1
  load_ok "$KT.yaml" --target "$KT" || return 1
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0
  # pset[0] (offset 544): TCP port 81, not 80
  $PY "$poke" "$pins" 544 0101000051005100 || fail "poke" || return 1
  [ "$(verdicts tcp 127.0.0.1 81 | awk '{ print $4 }')" = allow ] || fail "the programs do not read the port set"
  run "$NETACL" inspect --target "$KT" --json; expect_rc 70
  # blocks (offset 8): every first byte "none of the deny table"
  printf 'version: 1\nacls:\n  %s:\n    allow: ["*:80"]\n' "$KT" > star.yaml
  load_ok star.yaml --target "$KT" || return 1
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  $PY "$poke" "$pins" 8 "$(printf '55%.0s' $(seq 64))" || fail "poke" || return 1
  run "$NETACL" inspect --target "$KT" --json; expect_rc 70
  # and "ask the trie" everywhere is no disagreement
  $PY "$poke" "$pins" 8 "$(printf '00%.0s' $(seq 64))" || fail "poke" || return 1
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0
  # ex[g]'s v6[0] (offset 56 of the ex map): ::1, exempted by private:
  # [loopback]; poked to ::, which the deny table holds
  printf 'version: 1\nacls:\n  %s:\n    allow: ["*:80"]\n    private: [loopback]\n' "$KT" > star.yaml
  load_ok star.yaml --target "$KT" --offline || return 1
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  [ "$(verdicts tcp6 :: 80 tcp6 ::1 80 | awk '{ print $4 }' | paste -sd' ')" = "deny allow" ] || fail "before the poke"
  $PY "$poke" "$pins" 56 "$(printf '00%.0s' $(seq 16))" ex || fail "poke" || return 1
  [ "$(verdicts tcp6 :: 80 | awk '{ print $4 }')" = allow ] || fail "the programs do not read the exemptions"
  run "$NETACL" inspect --target "$KT" --json; expect_rc 70
}

# A first load's slot writers (bpf/load.c) are processes that share
# netacl's memory: once they are done none is left, not even as a zombie
# under a long `run`, and the load did not wait for their grace periods.
test_kernel_first_load_writers_leave_nothing() {
  need_kernel writers
  policy "$KT" '"127.0.0.1:80"'
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline -- sh -c 'sleep 0.5; ps -o stat= --ppid $PPID'
  expect_rc 0 || return 1
  # the command (sh's ps) is the only child left, and it is no zombie
  [ "$(grep -c . "$T/out")" = 1 ] && ! grep -q Z "$T/out" || fail "children of run: $(cat "$T/out")"
}

# A target loaded by the netacl before the ex map (the deny table's
# exemptions) has none: a reload writes no exemptions its conf would send
# the programs to, inspect and diff read it faithfully, and a repair
# loads programs on its maps.  Such a target is made here by removing
# the pin.
test_kernel_lacks_target_without_ex_pin() {
  need_kernel noex
  local d=$NETACL_PIN_ROOT/$KT
  printf 'version: 1\nacls:\n  %s:\n    allow: ["*:80"]\n    private: [loopback]\n' "$KT" > star.yaml
  load_ok star.yaml --target "$KT" --offline --cgroup "$KCG" || return 1
  rm "$d/ex" || return 1
  load_ok star.yaml --target "$KT" --offline || return 1
  [ ! -e "$d/ex" ] || fail "an ex pin appeared"
  "$NETACL" compile star.yaml --offline -o c.json
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  cp "$T/out" i.json
  run "$NETACL" diff c.json i.json; expect_rc 0 || fail "inspect differs"
  [ "$(verdicts tcp6 ::1 80 tcp6 ::2 80 tcp6 :: 80 | awk '{ print $4 }' | paste -sd' ')" = "allow deny deny" ] ||
    fail "verdicts"
  rm "$d/link_connect6"
  run "$NETACL" load c.json --target "$KT"; expect_rc 0 && expect_err "repaired $KT: link_connect6 is missing" || return 1
  [ "$(verdicts tcp6 ::1 80 tcp6 ::2 80 | awk '{ print $4 }' | paste -sd' ')" = "allow deny" ] || fail "after the repair"
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0
}

# kl_conf8_target: $KT loaded from p.yaml (an address, a '*' rule, loopback
# exempted), its conf then made 8 bytes a slot (confpoke --conf-size 8)
kl_conf8_target() {
  printf 'version: 1\nacls:\n  %s:\n    allow: ["127.0.0.1:80", "*:443"]\n    private: [loopback]\n' "$KT" > p.yaml
  load_ok p.yaml --target "$KT" --offline --cgroup "$KCG" || return 1
  $PY "$ROOT/tests/kernel/confpoke.py" --conf-size 8 "$NETACL_PIN_ROOT/$KT" || fail "conf8"
}

# A target loaded by the netacl before conf's copies has a conf of 8
# bytes a value (flags and star), too small for these programs: its
# repair (a cgroup made again) puts a whole conf in place of it, each
# slot copied, before it loads the programs on its maps; then the reload
# installs.
test_kernel_lacks_target_with_8_byte_conf_is_repaired() {
  need_kernel conf8
  local d=$NETACL_PIN_ROOT/$KT
  kl_conf8_target || return 1
  [ "$(bpftool map show pinned "$d/conf" -j | $PY -c 'import json, sys; print(json.load(sys.stdin)["bytes_value"])')" = 8 ] ||
    fail "no 8-byte conf" || return 1
  rmdir "$CG2/$KCG" && mkdir "$CG2/$KCG" || return 1
  run "$NETACL" load p.yaml --target "$KT" --offline
  # (the old links may be detached already, or still on the old cgroup)
  expect_rc 0 && expect_err "repaired $KT: " && expect_err "cgroup was removed" || return 1
  [ "$(bpftool map show pinned "$d/conf" -j | $PY -c 'import json, sys; print(json.load(sys.stdin)["bytes_value"])')" != 8 ] ||
    fail "the conf is still 8 bytes"
  diff <(verdicts tcp 127.0.0.1 80  tcp 127.0.0.2 80  tcp6 ::1 443  tcp6 ::2 443) - <<'E' >&2 || fail "verdicts"
tcp 127.0.0.1 80 allow
tcp 127.0.0.2 80 deny
tcp6 ::1 443 allow
tcp6 ::2 443 deny
E
  "$NETACL" compile p.yaml --offline -o c.json
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  cp "$T/out" i.json
  run "$NETACL" diff c.json i.json; expect_rc 0 || fail "inspect differs"
  run "$NETACL" status --json; expect_rc 0
  [ "$(jget "$T/out" "[t['state'] for t in d['targets'] if t['target'] == '$KT'][0]")" = enforced ] || fail "status: $(cat "$T/out")"
}

# A repair replaces a map the programs read (an 8-byte conf here), then
# each program: killed halfway, it leaves programs on the old map, which
# a reload would no longer write.  status calls that broken (not
# enforced), and the next load repairs it: every program on the pinned
# conf.
test_kernel_lacks_repair_killed_halfway_is_seen() {
  need_kernel repkill
  local d=$NETACL_PIN_ROOT/$KT
  kl_conf8_target || return 1
  rm "$d/link_connect4"
  NETACL_TEST_FAULT=kill-in-repair run "$NETACL" load p.yaml --target "$KT" --offline
  expect_rc 137 || return 1
  run "$NETACL" status --json; expect_rc 0
  [ "$(jget "$T/out" "[t['state'] for t in d['targets'] if t['target'] == '$KT'][0]")" = broken ] ||
    fail "status after the killed repair: $(cat "$T/out")" || return 1
  expect_out "runs on maps no longer pinned" || return 1
  run "$NETACL" load p.yaml --target "$KT" --offline
  expect_rc 0 && expect_err "repaired $KT: link_" || return 1
  # every attached program that reads a conf reads the pinned one
  local conf
  conf=$(bpftool map show pinned "$d/conf" -j | $PY -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  bpftool cgroup show "$CG2/$KCG" -j | $PY -c '
import json, subprocess, sys
bad = []
for p in json.load(sys.stdin):
    ids = json.loads(subprocess.run(["bpftool", "prog", "show", "id", str(p["id"]), "-j"],
                                    capture_output=True, text=True).stdout).get("map_ids", [])
    for m in ids:
        info = json.loads(subprocess.run(["bpftool", "map", "show", "id", str(m), "-j"],
                                         capture_output=True, text=True).stdout)
        if info.get("name") == "conf" and m != int(sys.argv[1]):
            bad.append(p["name"])
sys.exit("on an old conf: " + " ".join(bad) if bad else 0)' "$conf" || fail "programs on an old conf"
  run "$NETACL" status --json; expect_rc 0
  [ "$(jget "$T/out" "[t['state'] for t in d['targets'] if t['target'] == '$KT'][0]")" = enforced ] || fail "status"
  [ "$(verdicts tcp 127.0.0.1 80 tcp 127.0.0.2 80 tcp6 ::2 443 | awk '{ print $4 }' | paste -sd' ')" = "allow deny deny" ] ||
    fail "verdicts"
}

# A conf map larger than this netacl's struct (a newer netacl's, say) is
# read and written at its own size, zero past what this one knows (the
# safe default: ask the maps): the flags it reads are the flags there.
test_kernel_lacks_larger_conf_is_read_at_its_size() {
  need_kernel bigconf
  local d=$NETACL_PIN_ROOT/$KT
  printf 'version: 1\nacls:\n  %s:\n    allow: ["127.0.0.1:80"]\n    bind: ["127.0.0.1:9000"]\n' "$KT" > b.yaml
  load_ok b.yaml --target "$KT" --offline --cgroup "$KCG" || return 1
  $PY "$ROOT/tests/kernel/confpoke.py" --conf-size 1032 "$d" || fail "resize" || return 1
  # the programs read a conf no longer pinned: a load repairs that
  run "$NETACL" load b.yaml --target "$KT" --offline
  expect_rc 0 && expect_err "repaired $KT: link_connect4 runs on maps no longer pinned" || return 1
  # the programs now read the larger map; reloads write it
  load_ok b.yaml --target "$KT" --offline || return 1
  [ "$(verdicts tcpbind 127.0.0.1 9001 tcpbind 127.0.0.1 9000 tcp 127.0.0.2 80 | awk '{ print $4 }' | paste -sd' ')" = "deny allow deny" ] ||
    fail "verdicts after reloads on a larger conf"
  "$NETACL" compile b.yaml --offline -o c.json
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  cp "$T/out" i.json
  run "$NETACL" diff c.json i.json; expect_rc 0 || fail "inspect differs"
}
