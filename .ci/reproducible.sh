#!/usr/bin/env bash
# Reproducible-build check: builds `channels` (jar, sources, javadoc) from two copies of the tree in
# different directories and compares the jars byte for byte. project.build.outputTimestamp fixes
# every entry's time; the toolchain's JDK writes the classes and the module descriptor.
# Extra Maven arguments (e.g. -Dmaven.repo.local=...) come from MAVEN_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a extra <<< "${MAVEN_ARGS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for copy in a b; do
    mkdir -p "$work/$copy"
    # tar reads the list itself: xargs splits a list over its argument limit (128 KiB) into several
    # archives, and the extracting tar stops at the end of the first (the rest died of SIGPIPE).
    git ls-files -z | tar --null -T - -cf - | tar xf - -C "$work/$copy"
    mvn -B -ntp -q "${extra[@]}" -f "$work/$copy/pom.xml" -pl channels -am package -DskipTests
done
status=0
for jar in "$work"/a/channels/target/*.jar; do
    name=$(basename "$jar")
    a=$(sha256sum < "$jar" | cut -d' ' -f1)
    b=$(sha256sum < "$work/b/channels/target/$name" | cut -d' ' -f1)
    if [ "$a" = "$b" ]; then
        echo "reproducible: $name $a"
    else
        echo "NOT reproducible: $name ($a vs $b)"
        status=1
    fi
done
exit $status
