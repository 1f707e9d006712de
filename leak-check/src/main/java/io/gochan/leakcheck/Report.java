package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.Goroutines;

import java.util.ArrayList;
import java.util.List;

/** The failure message of a check: one block per goroutine, virtual thread and platform thread, as in Go's dump. */
final class Report {
    private Report() {}

    static String of(Judge.Finding f, long graceMillis, String ended) {
        List<String> counts = new ArrayList<>();
        if (!f.goroutines().isEmpty()) {
            counts.add(count(f.goroutines().size(), "goroutine"));
        }
        if (!f.threads().isEmpty()) {
            counts.add(count(f.threads().size(), "virtual thread"));
        }
        if (!f.platform().isEmpty()) {
            counts.add(count(f.platform().size(), "platform thread"));
        }
        StringBuilder b = new StringBuilder();
        b.append(String.join(" and ", counts)).append(" still running ").append(graceMillis)
                .append(" ms after ").append(ended).append(" ended:\n\n");
        for (Goroutine g : f.goroutines()) {
            Goroutines.describe(g, b);
        }
        for (ThreadDump.VirtualThread t : f.threads()) {
            b.append("virtual thread #").append(t.tid()).append(" \"").append(t.name()).append("\" [")
                    .append(t.state().toLowerCase()).append("], not a goroutine (container ").append(t.container())
                    .append(")\n");
            for (String frame : t.stack()) {
                b.append("    at ").append(frame).append('\n');
            }
            b.append('\n');
        }
        for (PlatformThreads.Suspect p : f.platform()) {
            Thread t = p.thread();
            b.append("platform thread #").append(t.threadId()).append(" \"").append(t.getName()).append("\" [")
                    .append(t.getState().toString().toLowerCase()).append(t.isDaemon() ? ", daemon" : "").append("]")
                    .append(p.commonPoolTask() ? ", running a task of the common pool the test left running (LK13)" : "").append('\n');
            for (String frame : p.stack()) {
                b.append("    at ").append(frame).append('\n');
            }
            b.append('\n');
        }
        for (String note : f.notes()) {
            b.append("note: ").append(note).append('\n');
        }
        return b.toString();
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
