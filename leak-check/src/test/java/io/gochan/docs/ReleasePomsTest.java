package io.gochan.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a user of the published artifacts reads in their POMs and in the README, checked against the build.
 *
 * <p>Maven appends a child's artifactId to every {@code url} and {@code scm} URL it inherits (MNG-443) unless the
 * parent says {@code child.*.inherit.append.path="false"} (Maven 3.6.1+, MNG-5951/MNG-6059). The parent names
 * {@code https://github.com/gochan/gochan}, and no published module sets its own url or scm: the effective POM of
 * {@code io.gochan:channels} (what IDEs, {@code mvn help:effective-pom}, repository browsers and dependency bots
 * compute) names {@code https://github.com/gochan/gochan/channels} and
 * {@code scm:git:https://github.com/gochan/gochan.git/channels}, which do not exist. {@code .ci/published.sh} checks
 * only that the parent has a url and an scm.
 *
 * <p>Reads files only (no Maven call, milliseconds), as text: the leak-check module's tests are compiled into the
 * module, which does not read {@code java.xml}.
 */
class ReleasePomsTest {
    private static final String[] SCM_URLS = {"connection", "developerConnection", "url"};

    @Test
    void everyPublishedModuleInheritsTheProjectsUrlAndScmUnchanged() {
        Path root = Repository.root();
        String parent = Repository.read(root.resolve("pom.xml"));
        String parentOwn = topLevel(parent);
        assertThat(section(parentOwn, "url")).as("the parent's url").isNotNull();
        assertThat(section(parentOwn, "scm")).as("the parent's scm").isNotNull();

        List<String> wrong = new ArrayList<>();
        for (String module : published(root, parent)) {
            String own = topLevel(Repository.read(root.resolve(module).resolve("pom.xml")));
            String artifactId = section(own, "artifactId");
            if (section(own, "url") == null && !"false".equals(attribute(parent, "project", "child.project.url.inherit.append.path"))) {
                wrong.add(module + ": url inherited as <parent url>/" + artifactId);
            }
            String scm = section(own, "scm");
            for (String what : SCM_URLS) {
                boolean mine = scm != null && section(scm, what) != null;
                if (!mine && !"false".equals(attribute(parent, "scm", "child.scm." + what + ".inherit.append.path"))) {
                    wrong.add(module + ": scm " + what + " inherited as <parent's>/" + artifactId);
                }
            }
        }
        // Before the root pom.xml set child.project.url.inherit.append.path="false" on <project> and the three
        // child.scm.*.inherit.append.path="false" on <scm>: 5 modules x 4 URLs.
        assertThat(wrong).as("published POMs whose effective url/scm point below the repository (artifactId appended)")
                .isEmpty();
    }

    /**
     * M2: a published module's POM imports nothing and manages nothing. Maven reads a dependency's
     * {@code dependencyManagement} (and resolves its BOM imports) when a user's build reads that POM, whatever the
     * scope of the dependencies it manages: each module imported {@code org.junit:junit-bom} for its tests, so resolving
     * {@code io.gochan:channels} alone needed JUnit's BOM (a failure behind a repository manager that allows only what is
     * used). Found by session 45's release audit.
     */
    @Test
    void M2_noPublishedModulesPomManagesOrImportsDependencies() {
        Path root = Repository.root();
        String parent = Repository.read(root.resolve("pom.xml"));
        List<String> wrong = new ArrayList<>();
        for (String module : published(root, parent)) {
            String own = Repository.read(root.resolve(module).resolve("pom.xml")).replaceAll("(?s)<!--.*?-->", "");
            if (!module.equals("bom") && own.contains("<dependencyManagement>")) { // the BOM is one: what it is for
                wrong.add(module);
            }
        }
        assertThat(parent.replaceAll("(?s)<!--.*?-->", "")).as("the parent's POM").doesNotContain("<dependencyManagement>");
        assertThat(wrong).as("published modules whose POM has a dependencyManagement").isEmpty();
    }

    /**
     * The README's promise of the oldest JUnit Jupiter leak-check works with (leak-check's pom.xml comment says it too)
     * must be a version the consumer smoke test runs. It said "5.10+" while the smoke test built only against 5.14.1 and
     * 6.1.3, and leak-check uses {@code TestInstantiationAwareExtension.ExtensionContextScope} (JUnit 5.12) and relies
     * on JUnit closing {@code AutoCloseable} store values (5.13): on 5.10 and 5.11 a goroutine a test instance starts
     * is silently the class's (LK14), as {@code examples/ConstructorOwnerTest} shows.
     */
    @Test
    void theOldestJUnitTheReadmePromisesIsOneTheConsumerSmokeTestRuns() {
        Path root = Repository.root();
        Matcher promise = Pattern.compile("uses your JUnit Jupiter, (\\d+\\.\\d+)\\+").matcher(Repository.read(root.resolve("README.md")));
        assertThat(promise.find()).as("README's leak-check line names the oldest JUnit it supports").isTrue();
        String oldest = promise.group(1);

        Matcher matrix = Pattern.compile("(?m)^for junit in ([^;]+);").matcher(Repository.read(root.resolve("examples/run.sh")));
        assertThat(matrix.find()).as("examples/run.sh's JUnit matrix").isTrue();
        List<String> versions = List.of(matrix.group(1).trim().split("\\s+"));

        // Before: README said 5.10, the matrix was [5.14.1, 6.1.3].
        assertThat(versions).as("JUnit versions examples/run.sh builds the consumer project with")
                .anyMatch(v -> v.equals(oldest) || v.startsWith(oldest + "."));
        assertThat(Repository.read(root.resolve("leak-check/pom.xml"))).as("leak-check's pom.xml names the same minimum")
                .contains("JUnit Jupiter " + oldest + "+");
    }

    /**
     * The README's install snippets name the version a user can get: on a release commit the version this tree
     * releases (docs/RELEASING.md's step 2 sets them with the POMs; before, a 0.2.0 release would have kept saying
     * 0.1.0); while a -SNAPSHOT is developed, the newest release of CHANGELOG.md, or before the first release the
     * version being prepared.
     */
    @Test
    void theReadmeInstallsTheVersionThisTreeReleases() {
        Path root = Repository.root();
        String pomVersion = section(topLevel(Repository.read(root.resolve("pom.xml"))), "version");
        Matcher released = Pattern.compile("(?m)^## \\[(\\d+\\.\\d+\\.\\d+)] - ").matcher(Repository.read(root.resolve("CHANGELOG.md")));
        String version = !pomVersion.endsWith("-SNAPSHOT") ? pomVersion
                : released.find() ? released.group(1) : pomVersion.replace("-SNAPSHOT", "");
        String readme = Repository.read(root.resolve("README.md"));

        Matcher maven = Pattern.compile("(?s)<artifactId>gochan-bom</artifactId>\\s*<version>([^<]+)</version>").matcher(readme);
        assertThat(maven.find()).as("README's Maven snippet imports gochan-bom").isTrue();
        assertThat(maven.group(1)).as("README's Maven BOM version").isEqualTo(version);

        Matcher gradle = Pattern.compile("platform\\(\"io\\.gochan:gochan-bom:([^\"]+)\"\\)").matcher(readme);
        assertThat(gradle.find()).as("README's Gradle snippet imports gochan-bom").isTrue();
        assertThat(gradle.group(1)).as("README's Gradle BOM version").isEqualTo(version);
    }

    /**
     * From the first release on, every public member of an exported package is API to keep. One documented as there
     * "for tests" ({@code Timers.pendingTasks()}, "for tests and diagnostics"; {@code Proxies.useProxy}, "For tests
     * and tools") is either a supported API, documented as one, or not public: its tests are in its package.
     */
    @Test
    void noPublicMemberOfAnExportedPackageIsThereForTests() {
        Path root = Repository.root();
        List<Path> exported = List.of(root.resolve("channels/src/main/java/io/gochan"),
                root.resolve("channels-select/src/main/java/io/gochan/select"),
                root.resolve("http-transport/src/main/java/io/gochan/http"),
                root.resolve("leak-check/src/main/java/io/gochan/leakcheck"));
        Pattern documentedPublic = Pattern.compile("(?s)/\\*\\*((?:(?!\\*/).)*?)\\*/\\s*(?:@[\\w.]+(?:\\([^)]*\\))?\\s*)*(?:public|protected)\\s");
        Pattern forTests = Pattern.compile("(?i)\\bfor tests?\\b|\\bfor testing\\b|\\btest[- ]only\\b");
        List<String> found = new ArrayList<>();
        for (Path file : Repository.javaSources(root)) {
            if (!exported.contains(file.getParent())) {
                continue;
            }
            String source = Repository.read(file);
            Matcher m = documentedPublic.matcher(source);
            while (m.find()) {
                if (forTests.matcher(m.group(1)).find()) {
                    int line = source.substring(0, m.end()).split("\n", -1).length;
                    found.add(root.relativize(file) + ":" + line);
                }
            }
        }
        // Before: Timers.java (pendingTasks), Proxies.java (useProxy) and the three random(RandomGenerator) of
        // channels-select, whose javadoc said "(for tests)"; those are kept as API and documented as such.
        assertThat(found).as("public members of exported packages documented as there for tests").isEmpty();
    }

    /** The modules of the root build that are deployed: not those with maven.deploy.skip (cli, stress-tests, benchmarks). */
    private static List<String> published(Path root, String parent) {
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>\\s*([^<]+?)\\s*</module>").matcher(section(parent, "modules"));
        while (m.find()) {
            String module = m.group(1);
            if (!Repository.read(root.resolve(module).resolve("pom.xml")).contains("<maven.deploy.skip>true</maven.deploy.skip>")) {
                modules.add(module);
            }
        }
        assertThat(modules).as("published modules").contains("bom", "channels", "channels-select", "http-transport", "leak-check")
                .doesNotContain("cli", "stress-tests", "benchmarks");
        return modules;
    }

    /**
     * A POM's own top-level elements: comments and the nested sections that may hold url, scm or artifactId of
     * something else (parent, dependencies, build, profiles, ...) removed. Text, not XML: the leak-check module's
     * tests are compiled into the module, which does not read java.xml.
     */
    private static String topLevel(String pom) {
        String s = pom.replaceAll("(?s)<!--.*?-->", "");
        for (String nested : List.of("parent", "dependencyManagement", "dependencies", "build", "profiles", "reporting",
                "distributionManagement", "modules", "properties", "licenses", "developers", "issueManagement")) {
            s = s.replaceAll("(?s)<" + nested + ">.*?</" + nested + ">", "");
        }
        return s;
    }

    /** The text of the first {@code <name>...</name>} in {@code xml}, or null. */
    private static String section(String xml, String name) {
        Matcher m = Pattern.compile("(?s)<" + name + "(?:\\s[^>]*)?>(.*?)</" + name + ">").matcher(xml);
        return m.find() ? m.group(1) : null;
    }

    /** The attribute {@code name} of the first start tag {@code <tag ...>} in {@code xml}, or null. */
    private static String attribute(String xml, String tag, String name) {
        Matcher start = Pattern.compile("(?s)<" + tag + "(\\s[^>]*)?>").matcher(xml);
        if (!start.find() || start.group(1) == null) {
            return null;
        }
        Matcher a = Pattern.compile(Pattern.quote(name) + "\\s*=\\s*\"([^\"]*)\"").matcher(start.group(1));
        return a.find() ? a.group(1) : null;
    }
}
