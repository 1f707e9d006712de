package io.gochan.leakcheck;

import io.gochan.CollectedGoroutine;
import io.gochan.Goroutines;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The part of a check that asks the garbage collector (rule LK10), when the JVM runs with the opt-in
 * detection on: goroutines started in a window and collected before they ended were blocked forever
 * on something nothing live could reach. Each is reported once, to the first window that claims it.
 */
final class Collected {
    /** GCs per check: the first one collects; the reference handler then enqueues, seen on a later call. */
    private static final int GC_ROUNDS = 3;
    private static final Set<Long> REPORTED = ConcurrentHashMap.newKeySet();

    private Collected() {}

    /** The report for goroutines with ids in {@code (mark, upTo]} found collected; null if none or off. */
    static String since(long mark, long upTo) {
        if (!Goroutines.gcLeakDetection()) {
            return null;
        }
        List<CollectedGoroutine> mine = new ArrayList<>();
        for (int i = 0; i < GC_ROUNDS && mine.isEmpty(); i++) {
            System.gc();
            for (CollectedGoroutine c : Goroutines.collectedWhileBlocked()) {
                if (c.id() > mark && c.id() <= upTo && REPORTED.add(c.id())) {
                    mine.add(c);
                }
            }
        }
        if (mine.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder().append(mine.size()).append(mine.size() == 1 ? " goroutine" : " goroutines")
                .append(" blocked forever on something nothing live can reach (collected by the GC, LK10):\n\n");
        for (CollectedGoroutine c : mine) {
            b.append(c).append("\n\n");
        }
        return b.toString();
    }
}
