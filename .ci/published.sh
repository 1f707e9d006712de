#!/usr/bin/env bash
# What a user downloads, checked as a consumer would look at it, after `mvn verify` built the jars
# (CI runs it right after jdeps.sh; seconds, offline, no Maven call). Fails if:
# - the BOM does not pin exactly the modules that are deployed (jar modules without maven.deploy.skip);
# - a pinned module lacks its jar, -sources.jar or -javadoc.jar;
# - a jar, -sources.jar or -javadoc.jar lacks META-INF/LICENSE and META-INF/NOTICE (Apache-2.0, section 4:
#   the javadoc is made of the sources' comments, a derivative work redistributed like the others);
# - a jar has no module descriptor, or no Implementation-Version equal to the project's version;
# - a jar's module is not the one README.md's module table names for it (the name users `requires`: a
#   renamed module breaks every modular user; the descriptor makes an Automatic-Module-Name needless);
# - a -sources.jar lacks module-info.java;
# - a -javadoc.jar is not its module's (javadoc in module mode: element-list "module:<name>"; class-path
#   mode makes a modular user's javadoc that links to it warn "the packages ... are in the unnamed
#   module"), or documents other packages than its module exports to everyone (an unexported
#   package in the javadoc invites code that does not compile on the module path; an exported one
#   missing leaves users without its contract);
# - a -javadoc.jar links to another gochan module's page that module's -javadoc.jar lacks (the links are
#   relative, ../../<artifactId>/<version>/..., for javadoc jars unpacked side by side as javadoc.io does),
#   or has no link into the javadoc of a gochan module it requires transitively (its API names that
#   module's types, which javadoc prints as plain text when it was given no -linkoffline for them);
# - a published POM declares a compile/runtime dependency outside io.gochan (a user's dependency tree
#   gets only gochan's own modules), or uses a ${property} that neither it nor the parent defines;
# - the parent POM (every module's published parent) lacks url, licenses, scm (url, connection,
#   developerConnection) or developers, or the BOM or a deployed module lacks its own name and description
#   (Maven Central requires all of them; an inherited description would describe the parent);
# - the BOM pins a module at another version than the project's (${project.version});
# - any other published jar of a module (channels' -tests.jar) lacks META-INF/LICENSE and META-INF/NOTICE.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh  # JAVA: the newest JDK 21+ (the toolchain's), whose jar tool reads release-21 descriptors
JAR="$(dirname "$JAVA")/jar"

python3 - "$JAR" <<'PY'
import glob, re, subprocess, sys, zipfile
import xml.etree.ElementTree as ET

jar_tool = sys.argv[1]
NS = {"m": "http://maven.apache.org/POM/4.0.0"}
failures = []
def fail(msg):
    failures.append(msg)
    print("published: FAIL " + msg)

def pom(path):
    return ET.parse(path).getroot()

def text(el, path):
    found = el.find(path, NS)
    return found.text.strip() if found is not None and found.text else None

root = pom("pom.xml")
version = text(root, "m:version")
root_props = {p.tag.split("}")[1] for p in root.find("m:properties", NS)}

for what in ("m:url", "m:licenses/m:license/m:name", "m:licenses/m:license/m:url", "m:scm/m:url",
             "m:scm/m:connection", "m:scm/m:developerConnection", "m:developers/m:developer/m:name"):
    if not text(root, what):
        fail(f"parent POM: no {what.replace('m:', '')}")

readme_modules = dict(re.findall(r"^\| `([\w-]+)` \| `([\w.]+)` \|", open("README.md").read(), re.M))
deployed = []
javadocs = {}  # artifactId -> (module name, modules it requires transitively, its -javadoc.jar)
for module in [m.text for m in root.findall("m:modules/m:module", NS)]:
    mp = pom(f"{module}/pom.xml")
    if (text(mp, "m:packaging") or "jar") != "jar":
        continue
    if text(mp, "m:properties/m:maven.deploy.skip") == "true":
        continue
    deployed.append((module, text(mp, "m:artifactId"), mp))

bom = pom("bom/pom.xml")
pinned = {text(d, "m:artifactId") for d in bom.findall("m:dependencyManagement/m:dependencies/m:dependency", NS)
          if text(d, "m:groupId") == "io.gochan"}
if pinned != {a for _, a, _ in deployed}:
    fail(f"BOM pins {sorted(pinned)}, deployed modules are {sorted(a for _, a, _ in deployed)}")
for d in bom.findall("m:dependencyManagement/m:dependencies/m:dependency", NS):
    if text(d, "m:version") not in ("${project.version}", version):
        fail(f"BOM pins {text(d, 'm:artifactId')} at {text(d, 'm:version')}, not {version}")
for what, p in [("BOM", bom)] + [(a, mp) for _, a, mp in deployed]:
    for field in ("m:name", "m:description"):
        if not text(p, field):
            fail(f"{what}: pom.xml has no {field[2:]} of its own")

for module, artifact, mp in deployed:
    failed_before = len(failures)
    base = f"{module}/target/{artifact}-{version}"
    jars = {kind: f"{base}{suffix}.jar" for kind, suffix in (("jar", ""), ("sources", "-sources"), ("javadoc", "-javadoc"))}
    try:
        z = {kind: zipfile.ZipFile(path) for kind, path in jars.items()}
    except FileNotFoundError as e:
        fail(f"{artifact}: {e.filename} missing (run mvn verify first)")
        continue
    names = {kind: set(zf.namelist()) for kind, zf in z.items()}
    for other in sorted(glob.glob(f"{base}-*.jar")):
        if other not in jars.values():
            entries = set(zipfile.ZipFile(other).namelist())
            for legal in ("META-INF/LICENSE", "META-INF/NOTICE"):
                if legal not in entries:
                    fail(f"{artifact}: {other} has no {legal}")
    for kind in ("jar", "sources", "javadoc"):
        for legal in ("META-INF/LICENSE", "META-INF/NOTICE"):
            if legal not in names[kind]:
                fail(f"{artifact}: {jars[kind]} has no {legal}")
    if "module-info.class" not in names["jar"]:
        fail(f"{artifact}: {jars['jar']} has no module-info.class")
    if "module-info.java" not in names["sources"]:
        fail(f"{artifact}: {jars['sources']} has no module-info.java")
    manifest = z["jar"].read("META-INF/MANIFEST.MF").decode()
    impl = re.search(r"^Implementation-Version: (.*?)\r?$", manifest, re.M)
    if not impl or impl.group(1) != version:
        fail(f"{artifact}: manifest Implementation-Version {impl.group(1) if impl else None}, expected {version}")

    described = subprocess.run([jar_tool, "--describe-module", "--file", jars["jar"]],
                               capture_output=True, text=True, check=True).stdout
    exports = {line.split()[1] for line in described.splitlines() if line.startswith("exports ")}
    module_name = described.split()[0].split("@")[0]
    if readme_modules.get(artifact) != module_name:
        fail(f"{artifact}: module {module_name}, README.md's module table says {readme_modules.get(artifact)}")
    elements = [line.strip() for line in z["javadoc"].read("element-list").decode().splitlines() if line.strip()]
    if not elements or elements[0] != "module:" + module_name:
        fail(f"{artifact}: javadoc is not the module {module_name}'s (element-list starts {elements[:1]}): "
             "a modular user's javadoc linking to it warns that the packages are in the unnamed module")
    documented = {line for line in elements if not line.startswith("module:")}
    if documented != exports:
        fail(f"{artifact}: javadoc documents {sorted(documented)}, the module exports {sorted(exports)}")

    transitive = {line.split()[1] for line in described.splitlines()
                  if line.startswith("requires ") and "transitive" in line.split()[2:]}
    javadocs[artifact] = (module_name, transitive, z["javadoc"])

    own = mp.find("m:properties", NS)
    props = root_props | ({p.tag.split("}")[1] for p in own} if own is not None else set())
    raw = open(f"{module}/pom.xml").read()
    for name in sorted(set(re.findall(r"\$\{([^}]+)\}", raw))):
        if not (name.startswith("project.") or name in props):
            fail(f"{artifact}: pom.xml uses ${{{name}}}, defined neither there nor in the parent")
    for dep in mp.findall("m:dependencies/m:dependency", NS):
        scope = text(dep, "m:scope") or "compile"
        if scope in ("compile", "runtime") and text(dep, "m:groupId") != "io.gochan":
            fail(f"{artifact}: {scope} dependency {text(dep, 'm:groupId')}:{text(dep, 'm:artifactId')} reaches users")
    if len(failures) == failed_before:
        print(f"published: {artifact} {version}: jar, sources, javadoc ({', '.join(sorted(exports))}), "
              "LICENSE/NOTICE, POM dependencies")

# Cross-module javadoc links: each must find its page in the linked module's -javadoc.jar, unpacked
# beside this one as <artifactId>/<version>/ (a link that reaches for a module not published, or for a
# page not there, is dead on javadoc.io).
by_module = {name: artifact for artifact, (name, _, _) in javadocs.items()}
href = re.compile(r'href="((?:\.\./)+)([^/"#]+)/([^/"#]+)/([^"#]*)')
for artifact, (module_name, transitive, jd) in javadocs.items():
    failed_before = len(failures)
    linked = set()
    for page in (n for n in jd.namelist() if n.endswith(".html")):
        depth = page.count("/")
        for ups, target, target_version, path in href.findall(jd.read(page).decode()):
            if ups.count("../") != depth + 2 or target not in javadocs:
                continue  # a link inside this module's pages (or to the JDK's, absolute)
            if target_version != version or path not in javadocs[target][2].namelist():
                fail(f"{artifact}: javadoc {page} links to {target}/{target_version}/{path}, "
                     f"not a page of {target} {version}'s -javadoc.jar")
            linked.add(target)
    for required in sorted(transitive):
        if required in by_module and by_module[required] not in linked:
            fail(f"{artifact}: javadoc has no link into the javadoc of {by_module[required]}, whose module {required} "
                 "it requires transitively (its types are plain text: no -linkoffline for it in the pom?)")
    if linked and len(failures) == failed_before:
        print(f"published: {artifact} javadoc links into {', '.join(sorted(linked))}: every page found")

sys.exit(1 if failures else 0)
PY
