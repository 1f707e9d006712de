package io.gochan.examples;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Runs both examples and checks their results; exits non-zero if one is wrong. */
public final class Main {
    private Main() {}

    /**
     * Runs the examples.
     *
     * @param args {@code module-path} or {@code class-path}: how this run was started, checked
     * @throws Exception if an example fails
     */
    public static void main(String[] args) throws Exception {
        String variant = args.length > 0 ? args[0] : "unknown";
        boolean named = Main.class.getModule().isNamed();
        check(named == variant.equals("module-path"), "started on the " + variant + ", but named module = " + named);

        List<Integer> squares = WorkerPool.squares(100, 4);
        check(squares.size() == 100, "100 squares, got " + squares.size());
        check(squares.stream().mapToLong(Integer::longValue).sum() == 338_350L, "sum of squares 1..100");
        check(WorkerPool.takeThenCancel(5).equals(List.of(0, 1, 2, 3, 4)), "take 5 then cancel");
        check(WorkerPool.totalLength(List.of("a", "bb", "ccc", "dddd"), 2) == 10, "error group total");

        List<String> paths = IntStream.range(0, 8).mapToObj(i -> "/item/" + i).toList();
        Map<String, String> bodies = FanIn.fetchAll(paths);
        for (String p : paths) {
            check(("200 hello " + p).equals(bodies.get(p)), "body of " + p + ": " + bodies.get(p));
        }
        System.out.println("examples on the " + variant + " (module " + Main.class.getModule().getName()
                + "): worker pool, cancel, error group and HTTP fan-in OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
