#!/usr/bin/env bash
# Seed each fuzz target's corpus (fuzz/corpus/<target>/) from the test fixtures.
set -euo pipefail
cd "$(dirname "$0")"
F=../tests/fixtures
seed() { local t=$1; shift; mkdir -p corpus/$t; for f in "$@"; do [ -f "$f" ] && cp "$f" "corpus/$t/$(echo "${f#../}" | tr '/' '_')"; done; true; }
shopt -s nullglob globstar
seed har $F/**/*.har ../examples/**/*.har
seed policy $F/policy/** ../policies/* ../examples/**/privacy* ../examples/**/PRIVACY*
seed axml $F/**/*.axml $F/**/AndroidManifest.bin
seed arsc $F/**/*.arsc
seed protobuf $F/**/*.pb
seed dex $F/**/*.dex
seed zip $F/**/*.apk $F/**/*.xapk $F/**/*.ipa $F/**/*.zip
seed pcap $F/**/*.pcap $F/**/*.pcapng
seed plist $F/**/*.plist $F/**/*.xcprivacy
seed manifest $F/**/AndroidManifest*.xml ../examples/**/AndroidManifest.xml
seed device $F/**/device*.json ../examples/**/device.json
seed catalog $F/catalog/*
seed sdk_list $F/sdk_list/* ../examples/**/privacy* ../examples/**/PRIVACY*
# The members of the real APK seed the binary formats.
python3 - <<'PY' || echo "python3 not found: AXML, DEX and resources.arsc corpora start empty"
import zipfile, glob, os
for apk in glob.glob("corpus/zip/*.apk"):
    with zipfile.ZipFile(apk) as z:
        for n in z.namelist():
            t = "axml" if n == "AndroidManifest.xml" else "dex" if n.endswith(".dex") else "arsc" if n.endswith(".arsc") else None
            if t:
                open(os.path.join("corpus", t, os.path.basename(apk) + "_" + n.replace("/", "_")), "wb").write(z.read(n))
PY
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
