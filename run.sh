#!/usr/bin/env bash
# One entry point for a fresh machine.
#   bash run.sh          set up, then start the web app on the embedded store (seeded on first run)
#   bash run.sh test     set up (with the test tools and headless Chromium), then run the whole test suite
# Extra arguments after `bash run.sh` go to `xijin serve` (e.g. --port 8080); after `test`, to pytest.
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
VENV=.venv

need_python() {
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || {
    echo "需要 Python 3.11 或更新版本 / Python 3.11 or newer is required (found: $("$PY" --version 2>&1))" >&2
    exit 1
  }
}

setup_venv() {
  local extra=$1
  need_python
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  # reinstall only when the project's dependencies changed
  local stamp="$VENV/.installed-$extra" want
  want=$(cat pyproject.toml | sha1sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "安装依赖 / installing dependencies …" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    if [ "$extra" = test ]; then
      "$VENV/bin/python" -m pip install --quiet -e ".[test]" >&2
    else
      "$VENV/bin/python" -m pip install --quiet -e . >&2
    fi
    echo "$want" > "$stamp"
  fi
}

setup_browser() {
  # Debian's Chromium and its driver; the tests never download a browser.
  # (and a CJK font: without one, screenshots of Chinese pages show boxes)
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null \
     && { [ -d /usr/share/fonts/truetype/wqy ] || fc-list :lang=zh 2>/dev/null | grep -q .; }; then return; fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null; then
    echo "安装 Chromium（浏览器测试用）/ installing Debian's chromium + chromium-driver for the browser tests …" >&2
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >&2 \
      || echo "无法安装 Chromium，浏览器测试将被跳过 / could not install chromium: browser tests will be skipped" >&2
  fi
}

case "${1:-serve}" in
  test|tests)
    shift || true
    setup_venv test
    setup_browser
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  serve|*)
    [ "${1:-}" = serve ] && shift
    setup_venv run
    exec "$VENV/bin/xijin" serve "$@"
    ;;
esac
