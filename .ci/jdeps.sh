#!/usr/bin/env bash
# jdeps --check on the four library jars (channels, channels-select, http-transport, leak-check) with
# the toolchain JDK's jdeps, after `mvn verify` built them. Fails if a module descriptor's requires
# differ from what the classes need (a missing or unused requires, a wrong `transitive`) or a qualified
# export is unused. One difference is allowed: `requires static jdk.jfr`, for which jdeps suggests a
# plain requires — optional on purpose (docs/adr/0011-optional-jfr.md).
# JUnit's jars (leak-check's provided dependencies) come from Maven; extra Maven arguments (e.g.
# -Dmaven.repo.local=...) from MAVEN_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh  # JAVA: the newest JDK 21+ (the toolchain's)
JDEPS="$(dirname "$JAVA")/jdeps"
read -r -a extra <<< "${MAVEN_ARGS:-}"

version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -1)
mp=""
for m in channels channels-select http-transport leak-check; do
    jar="$m/target/$m-$version.jar"
    [ -f "$jar" ] || { echo "jdeps: $jar missing (run mvn verify first)" >&2; exit 1; }
    mp="$mp:$jar"
done
cp_file=$(mktemp); out=$(mktemp); trap 'rm -f "$cp_file" "$out"' EXIT
# In the reactor, with a phase (-am test-compile, up to date after verify): alone, leak-check resolves
# io.gochan:channels from ~/.m2, which on a fresh machine holds no gochan artifact (failed there).
# test-compile, not compile: build-classpath resolves the test scope too, and leak-check's tests use
# channels' test-jar, which the reactor hands over (as channels' test classes) only once they are
# compiled ("Could not find artifact io.gochan:channels:jar:tests" after compile).
mvn -B -ntp -q "${extra[@]}" test-compile org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath \
    -pl leak-check -am -DincludeScope=provided -DexcludeGroupIds=io.gochan -Dmdep.outputFile="$cp_file"
mp="${mp#:}:$(cat "$cp_file")"

# One module per run: with all four in one --check, JDK 25's jdeps now and then suggested `requires transitive`
# for every requires of leak-check (4 of 6 runs on one build, 0 of 8 for the module alone): its modules are
# analysed concurrently and one's full dependences leak into another's API ones.
: > "$out"
for module in io.gochan io.gochan.select io.gochan.http io.gochan.leakcheck; do
    "$JDEPS" --multi-release 21 --module-path "$mp" --check "$module" >> "$out"
    echo >> "$out"
done
python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
failed = False
for block in re.split(r"\n(?=\S)", text.strip()):
    module = block.split()[0]
    sections, current = {}, None
    for line in block.splitlines()[1:]:
        head = re.match(r"\s+\[(.*)\]$", line)
        if head:
            current = re.sub(r" (for|in) \S+$", "", head.group(1))
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line.strip())
    def requires(name):
        out = set()
        for r in sections.get(name, []):
            r = re.sub(r"\s*\(@[^)]*\)", "", r).rstrip(";")
            r = r.replace("requires static jdk.jfr", "requires jdk.jfr")  # optional on purpose (ADR 0011)
            out.add(r)
        return out
    have, want = requires("Module descriptor"), requires("Suggested module descriptor")
    bad = False
    if have != want:
        bad = True
        print(f"jdeps: {module}: module-info.java requires {sorted(have - want)}, "
              f"but its classes need {sorted(want - have)}")
    if sections.get("Unused qualified exports"):
        bad = True
        print(f"jdeps: {module}: unused qualified exports: {sections['Unused qualified exports']}")
    if not sections.get("Suggested module descriptor"):
        bad = True
        print(f"jdeps: {module}: no analysis in jdeps' output:\n{block}")
    if not bad:
        print(f"jdeps: {module}: descriptor matches what its classes use")
    failed |= bad
sys.exit(1 if failed else 0)
PY
