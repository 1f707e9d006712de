package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a modular user meets, pinned: the exports, opens and {@code requires [transitive]} of each library module, and
 * leak-check resolved as a named module. This is the one test class path that holds all four library modules (channels,
 * channels-select, http-transport; leak-check in test scope) and JUnit's jars. No other test resolves leak-check's
 * descriptor: the consumer smoke test's module-path run ({@code examples/}) puts leak-check and JUnit on the class
 * path, since Surefire builds the test module path from the main module's {@code requires} only (and a user's main
 * module does not require a test library); {@code .ci/jdeps.sh} compares {@code requires} with what the classes use,
 * {@code .ci/published.sh} the javadoc with the exports, but nothing said which packages must (not) be exported.
 */
class ModuleDescriptorsTest {
    /** The library modules as built (exploded target/classes in the reactor, or the jars from the local repository). */
    private static ModuleFinder gochan() {
        return ModuleFinder.of(location(io.gochan.Chan.class), location(io.gochan.select.Select.class),
                location(Transport.class), location(io.gochan.leakcheck.NoGoroutineLeaks.class));
    }

    /** JUnit's modules that leak-check's descriptor requires, from the jars the tests run with. */
    private static ModuleFinder junit() {
        Set<Path> jars = new LinkedHashSet<>();
        for (String name : List.of("org.junit.jupiter.api.Test", "org.junit.platform.commons.support.AnnotationSupport",
                "org.opentest4j.AssertionFailedError", "org.apiguardian.api.API", "org.jspecify.annotations.Nullable")) {
            try {
                jars.add(location(Class.forName(name)));
            } catch (ClassNotFoundException e) {
                // apiguardian and jspecify are `requires static`: absent is fine
            }
        }
        return ModuleFinder.of(jars.toArray(Path[]::new));
    }

    private static Path location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ModuleDescriptor descriptor(String module) {
        return gochan().find(module).map(ModuleReference::descriptor)
                .orElseThrow(() -> new AssertionError("module " + module + " not found: is module-info.class built?"));
    }

    /** {@return the unqualified exports} */
    private static Set<String> exported(ModuleDescriptor d) {
        return d.exports().stream().filter(e -> !e.isQualified()).map(Exports::source).collect(Collectors.toCollection(TreeSet::new));
    }

    /** {@return the qualified exports: package -> its target modules} */
    private static Map<String, Set<String>> exportedTo(ModuleDescriptor d) {
        Map<String, Set<String>> m = new TreeMap<>();
        d.exports().stream().filter(Exports::isQualified).forEach(e -> m.put(e.source(), new TreeSet<>(e.targets())));
        return m;
    }

    /** {@return "name" or "transitive name" for each requires other than java.base} */
    private static Set<String> requires(ModuleDescriptor d) {
        Set<String> r = new TreeSet<>();
        for (Requires q : d.requires()) {
            if (q.name().equals("java.base")) {
                continue;
            }
            String mods = q.modifiers().stream().filter(m -> m != Requires.Modifier.MANDATED).map(m -> m.name().toLowerCase())
                    .sorted().collect(Collectors.joining(" "));
            r.add((mods.isEmpty() ? "" : mods + " ") + q.name());
        }
        return r;
    }

    @Test
    void eachModuleExportsItsApiPackageAndNoInternalOne() {
        ModuleDescriptor core = descriptor("io.gochan");
        // M1: the machinery select and leak-check are built on is exported to every module, since a qualified export
        // does not reach them on the class path beside a named io.gochan (aMixedLayoutLinksSelectAndTheTimerReport).
        assertThat(exported(core)).containsExactlyInAnyOrder("io.gochan", "io.gochan.spi");
        assertThat(exportedTo(core)).isEmpty();
        assertThat(core.packages()).contains("io.gochan.jfr", "io.gochan.spi"); // io.gochan.jfr present, not exported

        assertThat(exported(descriptor("io.gochan.select"))).containsExactly("io.gochan.select");
        assertThat(exportedTo(descriptor("io.gochan.select"))).isEmpty();

        ModuleDescriptor http = descriptor("io.gochan.http");
        assertThat(exported(http)).containsExactly("io.gochan.http");
        assertThat(exportedTo(http)).isEmpty();
        assertThat(http.packages()).contains("io.gochan.http.internal.conn", "io.gochan.http.internal.pool",
                "io.gochan.http.internal.codec", "io.gochan.http.jfr");

        assertThat(exported(descriptor("io.gochan.leakcheck"))).containsExactly("io.gochan.leakcheck");

        for (String m : List.of("io.gochan", "io.gochan.select", "io.gochan.http", "io.gochan.leakcheck")) {
            ModuleDescriptor d = descriptor(m);
            assertThat(d.isOpen()).as(m + " is not an open module").isFalse();
            assertThat(d.opens()).as(m + " opens nothing (JUnit instantiates the public extensions without it)").isEmpty();
            assertThat(d.isAutomatic()).as(m + " has a real descriptor").isFalse();
        }
    }

    @Test
    void aModuleWhoseApiNamesAnotherModulesTypesRequiresItTransitively() {
        // Select's cases take Chan/Context; Transport takes Context; the extension is a JUnit Extension and names
        // Goroutine (LeakFinder): a user requiring only the module they use can compile against its signatures.
        assertThat(requires(descriptor("io.gochan"))).containsExactly("static jdk.jfr");
        assertThat(requires(descriptor("io.gochan.select"))).containsExactly("transitive io.gochan");
        assertThat(requires(descriptor("io.gochan.http")))
                .containsExactlyInAnyOrder("transitive io.gochan", "io.gochan.select", "static jdk.jfr");
        assertThat(requires(descriptor("io.gochan.leakcheck"))).containsExactlyInAnyOrder("transitive io.gochan",
                "transitive org.junit.jupiter.api", "org.junit.platform.commons", "org.opentest4j", "java.management",
                "jdk.management");
    }

    /**
     * What the consumer smoke test never does: resolve leak-check as a named module (with JUnit's named modules) and
     * let JUnit's way of creating an extension (public no-argument constructor, reflection from another module) work.
     */
    @Test
    void leakCheckResolvesAsANamedModuleAndItsExtensionsCanBeCreated() throws Exception {
        ModuleFinder finder = ModuleFinder.compose(gochan(), junit());
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(),
                Set.of("io.gochan.leakcheck", "io.gochan.http"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());

        List<String> created = new ArrayList<>();
        for (String name : List.of("io.gochan.leakcheck.GoroutineLeakExtension", "io.gochan.leakcheck.SynctestExtension")) {
            Class<?> c = layer.findLoader("io.gochan.leakcheck").loadClass(name);
            assertThat(c.getModule().getName()).isEqualTo("io.gochan.leakcheck");
            assertThat(c.getModule().isExported(c.getPackageName())).isTrue();
            // From an unnamed module (this test), as JUnit's engine does from its own module or the class path.
            Object extension = c.getConstructor().newInstance();
            created.add(extension.getClass().getName());
        }
        assertThat(created).hasSize(2);

        // A module reading io.gochan.leakcheck reads the JUnit API and io.gochan through it (requires transitive).
        Module leakCheck = layer.findModule("io.gochan.leakcheck").orElseThrow();
        assertThat(leakCheck.canRead(layer.findModule("org.junit.jupiter.api").orElseThrow())).isTrue();
        assertThat(leakCheck.canRead(layer.findModule("io.gochan").orElseThrow())).isTrue();
        // The transport's internal packages stay closed to other modules.
        Module http = layer.findModule("io.gochan.http").orElseThrow();
        assertThat(http.isExported("io.gochan.http.internal.conn")).isFalse();
        assertThat(layer.findModule("io.gochan").orElseThrow().isExported("io.gochan.jfr", http)).isFalse();
    }

    /**
     * Rule M1 (docs/spec/channels.md): the layout Surefire gives a modular project's tests, io.gochan named on the module
     * path (the main module requires it) and the test libraries on the class path (leak-check always; channels-select
     * when only the tests use it), links. Found by session 45's release audit: io.gochan exported its machinery only to
     * the named modules io.gochan.select and io.gochan.leakcheck, so on the class path select's engine failed to load
     * ({@code IllegalAccessError}: superinterface check failed) and leak-check's timer report threw instead of reporting.
     */
    @Test
    void M1_aMixedLayoutLinksSelectAndTheTimerReport() throws Exception {
        Configuration cf = ModuleLayer.boot().configuration().resolve(ModuleFinder.of(location(io.gochan.Chan.class)),
                ModuleFinder.of(), Set.of("io.gochan"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        ClassLoader named = layer.findLoader("io.gochan");
        List<java.net.URL> classPath = new ArrayList<>();
        for (Class<?> c : List.of(io.gochan.select.Select.class, io.gochan.leakcheck.NoGoroutineLeaks.class,
                org.junit.jupiter.api.Test.class, org.junit.platform.commons.support.AnnotationSupport.class,
                org.opentest4j.AssertionFailedError.class)) {
            classPath.add(location(c).toUri().toURL());
        }
        try (java.net.URLClassLoader unnamed = new java.net.URLClassLoader(classPath.toArray(java.net.URL[]::new), named)) {
            Class<?> engine = Class.forName("io.gochan.select.SelectEngine", true, unnamed);
            assertThat(engine.getModule().isNamed()).isFalse();
            assertThat(Class.forName("io.gochan.Chan", false, unnamed).getModule().getName()).isEqualTo("io.gochan");

            // A timer left scheduled, reported by leak-check from the class path (LK32, LK37: Go's duration text).
            Class<?> ownerType = named.loadClass("io.gochan.GoroutineOwner");
            Object owner = named.loadClass("io.gochan.Goroutines").getMethod("owner", String.class).invoke(null, "mixed");
            Object scope = ownerType.getMethod("enter").invoke(owner);
            Class<?> taskType = named.loadClass("io.gochan.Task");
            Object task = java.lang.reflect.Proxy.newProxyInstance(named, new Class<?>[] {taskType}, (p, m, a) -> null);
            Object timer = named.loadClass("io.gochan.Timers").getMethod("afterFunc", java.time.Duration.class, taskType)
                    .invoke(null, java.time.Duration.ofHours(1), task);
            try {
                Class<?> finder = Class.forName("io.gochan.leakcheck.LeakFinder", true, unnamed);
                Object left = finder.getMethod("timersLeft", ownerType, java.time.Duration.class)
                        .invoke(null, owner, java.time.Duration.ZERO);
                Object report = finder.getMethod("timerReport", List.class, String.class).invoke(null, left, "the probe");
                assertThat((String) report).contains("the probe left 1 timer").containsPattern("in 59m59\\.\\d{3}s");
            } finally {
                timer.getClass().getMethod("stop").invoke(timer);
                scope.getClass().getMethod("close").invoke(scope);
                ownerType.getMethod("close").invoke(owner);
            }
        }
    }
}
