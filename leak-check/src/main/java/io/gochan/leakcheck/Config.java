package io.gochan.leakcheck;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** The settings of one check, read from {@link NoGoroutineLeaks}. */
record Config(List<Pattern> allow, List<Pattern> ignoreTopFunction, List<Pattern> ignoreAnyFunction,
        List<Pattern> ignoreCreatedBy, List<Pattern> ignoreOwners, boolean ignoreCurrent, boolean virtualThreads,
        boolean platformThreads, Duration grace) {

    static Config of(NoGoroutineLeaks a) {
        return new Config(patterns(a.allow()), patterns(a.ignoreTopFunction()), patterns(a.ignoreAnyFunction()),
                patterns(a.ignoreCreatedBy()), patterns(a.ignoreOwners()), a.ignoreCurrent(), a.virtualThreads(),
                a.platformThreads(), Duration.ofMillis(a.graceMillis()));
    }

    static List<Pattern> patterns(String[] regexes) {
        return java.util.Arrays.stream(regexes).map(Pattern::compile).toList();
    }

    static boolean anyMatches(List<Pattern> patterns, String s) {
        for (Pattern p : patterns) {
            if (p.matcher(s).matches()) {
                return true;
            }
        }
        return false;
    }
}
