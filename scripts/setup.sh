#!/usr/bin/env bash
# Set up masseur from this checkout: the system packages it needs, then a virtual
# environment in .venv with masseur installed. `--test` adds what the test suite needs.
#
#   bash scripts/setup.sh          # to use masseur:   .venv/bin/masseur run foot-classic
#   bash scripts/setup.sh --test   # to run the tests: .venv/bin/python -m pytest
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
[ "${1:-}" = "--test" ] && with_tests=true
python=${PYTHON:-python3}
venv=${VENV:-.venv}

# espeak-ng speaks; alsa + gcc build and run simpleaudio; Pango and a font let WeasyPrint
# write the PDF guide.
packages=(espeak-ng libespeak-ng1 alsa-utils libasound2-dev gcc libpango-1.0-0 libpangoft2-1.0-0
    fonts-dejavu-core)
# sox measures audio, pulseaudio captures real-time playback, tmux drives the live screen.
# chromium + chromium-driver open the HTML guide in a real browser; poppler-utils renders the PDF;
# pipx checks the recommended user install.
$with_tests && packages+=(sox pulseaudio pulseaudio-utils libasound2-plugins tmux
    chromium chromium-driver poppler-utils pipx)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "Installing system packages: ${missing[*]}"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "Please install these with your package manager: ${missing[*]}" >&2
    fi
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
if $with_tests; then
    "$venv/bin/python" -m pip install -q -e ".[test]"
else
    "$venv/bin/python" -m pip install -q ".[pdf]"
fi
echo "masseur is ready: $venv/bin/masseur"
# Later commands in the README say plain `masseur`: give the one line that makes that work.
bin_dir=$(cd "$venv/bin" && pwd)
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *)
        echo "To type just \`masseur\`, add $venv/bin to your PATH (then open a new terminal):"
        echo "    echo 'export PATH=\"$bin_dir:\$PATH\"' >> ~/.bashrc"
        echo "or install it for your user instead: pipx install ."
        ;;
esac
