# The invalid-policy corpus: tests/policies/invalid/NN-name.yaml has one
# defect; NN-name.expect gives LINE:COL and a piece of the message.

test_invalid_corpus() {
  local dir="$ROOT/tests/policies/invalid" n=0 bad=0 f where msg
  for f in "$dir"/*.yaml; do
    n=$((n + 1))
    where=$(sed -n 1p "${f%.yaml}.expect")
    msg=$(sed -n 2p "${f%.yaml}.expect")
    run "$NETACL" compile "$f" --offline -o out.json
    if [ "$rc" -ne 65 ]; then
      echo "    $(basename "$f"): exit $rc, want 65" >&2; bad=$((bad + 1))
    elif ! grep -qF "$f:$where: error:" "$T/err"; then
      echo "    $(basename "$f"): no '$where: error:' in: $(head -3 "$T/err")" >&2; bad=$((bad + 1))
    elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$T/err"; then
      echo "    $(basename "$f"): message lacks '$msg': $(head -3 "$T/err")" >&2; bad=$((bad + 1))
    elif [ -e out.json ]; then
      echo "    $(basename "$f"): wrote out.json" >&2; bad=$((bad + 1))
    fi
    rm -f out.json
  done
  [ "$n" -ge 40 ] || fail "only $n invalid policies"
  [ "$bad" -eq 0 ] || fail "$bad of $n invalid policies misreported"
}

test_every_error_is_reported() {
  cat > p.yaml <<'Y'
version: 1
acls:
  a:
    allow:
      - 127.1
      - "*.com"
    privat: []
Y
  run "$NETACL" check p.yaml; expect_rc 65 || return 1
  expect_err "p.yaml:5:9: error:" && expect_err "p.yaml:6:12: error:" && expect_err "p.yaml:7:5: error:"
}

test_caret_on_a_terminal() {
  command -v script >/dev/null || skip "no script(1)"
  printf 'version: 1\nacls:\n  a:\n    allow: [127.1]\n' > p.yaml
  script -qc "$NETACL check p.yaml" /dev/null > tty.txt
  grep -q '    allow: \[127.1\]' tty.txt && grep -q '^ *\^' tty.txt || { cat tty.txt >&2; fail "no source line and caret"; }
  # and none when stderr is not a terminal
  run "$NETACL" check p.yaml; ! grep -q '\^' "$T/err" || fail "caret on a pipe"
}
