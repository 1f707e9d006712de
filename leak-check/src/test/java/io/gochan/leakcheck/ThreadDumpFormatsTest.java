package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LK25 (LK6 on every JDK gochan supports): the thread dump of JDK 21 to 24 has no {@code "virtual"} (nor
 * {@code "state"}) field; JDK 25 added them (JDK-8356870, with the format's JSON schema). {@link ThreadDump#parse}
 * kept only threads with {@code "virtual": true}, so on Java 21 it found no virtual thread at all and a test that
 * left a {@code Thread.ofVirtual()} thread or a virtual-thread-per-task executor's task running passed. CI runs only
 * on JDK 25 (the only JDK 21+ of the build machine), so no test met the older format: these dumps are recorded.
 *
 * <p>The dumps below are written as the JDK's {@code jdk.internal.vm.ThreadDumper} writes them: JDK 21's
 * {@code dumpThreadToJson} prints only tid, name and stack, and escapes {@code /} as {@code \/}.
 */
class ThreadDumpFormatsTest {

    /**
     * A JDK 21 dump: main, a pool's platform thread, a carrier thread running a virtual thread, a leaked virtual
     * thread, an executor's task.
     */
    private static final String JDK21_DUMP = """
            {
              "threadDump": {
                "processId": "4242",
                "time": "2026-12-05T07:00:00.000000000Z",
                "runtimeVersion": "21.0.5+11-LTS",
                "threadContainers": [
                  {
                    "container": "<root>",
                    "parent": null,
                    "owner": null,
                    "threads": [
                     {
                       "tid": "1",
                       "name": "main",
                       "stack": [
                          "java.base\\/java.lang.Thread.getStackTrace(Thread.java:2450)",
                          "java.base\\/jdk.internal.vm.ThreadDumper.dumpThreadToJson(ThreadDumper.java:270)",
                          "app\\/com.example.Main.main(Main.java:10)"
                       ]
                     },
                     {
                       "tid": "22",
                       "name": "pool-1-thread-1",
                       "stack": [
                          "java.base\\/jdk.internal.misc.Unsafe.park(Native Method)",
                          "java.base\\/java.util.concurrent.locks.LockSupport.park(LockSupport.java:371)",
                          "java.base\\/java.util.concurrent.LinkedBlockingQueue.take(LinkedBlockingQueue.java:435)",
                          "java.base\\/java.util.concurrent.ThreadPoolExecutor.getTask(ThreadPoolExecutor.java:1070)",
                          "java.base\\/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1130)",
                          "java.base\\/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642)",
                          "java.base\\/java.lang.Thread.run(Thread.java:1583)"
                       ]
                     },
                     {
                       "tid": "25",
                       "name": "ForkJoinPool-1-worker-1",
                       "stack": [
                          "java.base\\/jdk.internal.vm.Continuation.run(Continuation.java:248)",
                          "java.base\\/java.lang.VirtualThread.runContinuation(VirtualThread.java:221)",
                          "java.base\\/java.util.concurrent.ForkJoinTask$RunnableExecuteAction.exec(ForkJoinTask.java:1423)",
                          "java.base\\/java.util.concurrent.ForkJoinTask.doExec(ForkJoinTask.java:387)",
                          "java.base\\/java.util.concurrent.ForkJoinPool$WorkQueue.topLevelExec(ForkJoinPool.java:1312)",
                          "java.base\\/java.util.concurrent.ForkJoinPool.scan(ForkJoinPool.java:1843)",
                          "java.base\\/java.util.concurrent.ForkJoinPool.runWorker(ForkJoinPool.java:1808)",
                          "java.base\\/java.util.concurrent.ForkJoinWorkerThread.run(ForkJoinWorkerThread.java:188)"
                       ]
                     },
                     {
                       "tid": "31",
                       "name": "leaked-virtual",
                       "stack": [
                          "java.base\\/java.lang.VirtualThread.park(VirtualThread.java:582)",
                          "java.base\\/java.lang.System$2.parkVirtualThread(System.java:2643)",
                          "java.base\\/jdk.internal.misc.VirtualThreads.park(VirtualThreads.java:54)",
                          "java.base\\/java.util.concurrent.locks.LockSupport.park(LockSupport.java:219)",
                          "java.base\\/java.util.concurrent.locks.AbstractQueuedSynchronizer.acquire(AbstractQueuedSynchronizer.java:754)",
                          "java.base\\/java.util.concurrent.locks.AbstractQueuedSynchronizer.acquireSharedInterruptibly(AbstractQueuedSynchronizer.java:1099)",
                          "java.base\\/java.util.concurrent.CountDownLatch.await(CountDownLatch.java:230)",
                          "com.example.LeakyTest.lambda$leaks$0(LeakyTest.java:12)",
                          "java.base\\/java.lang.VirtualThread.run(VirtualThread.java:309)"
                       ]
                     }
                    ],
                    "threadCount": "4"
                  },
                  {
                    "container": "java.util.concurrent.ThreadPerTaskExecutor@5e9f23b4",
                    "parent": "<root>",
                    "owner": null,
                    "threads": [
                     {
                       "tid": "35",
                       "name": "",
                       "stack": [
                          "java.base\\/java.lang.VirtualThread.parkNanos(VirtualThread.java:631)",
                          "java.base\\/java.lang.VirtualThread.sleepNanos(VirtualThread.java:803)",
                          "java.base\\/java.lang.Thread.sleep(Thread.java:507)",
                          "com.example.LeakyTest.lambda$pool$1(LeakyTest.java:20)",
                          "java.base\\/java.util.concurrent.ThreadPerTaskExecutor$TaskRunner.run(ThreadPerTaskExecutor.java:314)",
                          "java.base\\/java.lang.VirtualThread.run(VirtualThread.java:309)"
                       ]
                     }
                    ],
                    "threadCount": "1"
                  }
                ]
              }
            }
            """;

    /** A JDK 25 dump of the same leaked thread: "virtual" and "state" are written (tid as a number or a string). */
    private static final String JDK25_DUMP = """
            {
              "threadDump": {
                "processId": 4242,
                "time": "2026-12-05T07:00:00.000000000Z",
                "runtimeVersion": "25.0.1+8-LTS",
                "threadContainers": [
                  {
                    "container": "<root>",
                    "parent": null,
                    "owner": null,
                    "threads": [
                      {
                        "tid": 1,
                        "time": "2026-12-05T07:00:00.000000000Z",
                        "name": "main",
                        "state": "RUNNABLE",
                        "stack": [
                          "java.base/java.lang.Thread.getStackTrace(Thread.java:2050)"
                        ]
                      },
                      {
                        "tid": "31",
                        "time": "2026-12-05T07:00:00.000000000Z",
                        "name": "leaked-virtual",
                        "state": "WAITING",
                        "virtual": true,
                        "parkBlocker": { "object": "java.util.concurrent.CountDownLatch$Sync@1b2c3d4e" },
                        "stack": [
                          "java.base/java.lang.VirtualThread.park(VirtualThread.java:738)",
                          "com.example.LeakyTest.lambda$leaks$0(LeakyTest.java:12)",
                          "java.base/java.lang.VirtualThread.run(VirtualThread.java:466)"
                        ]
                      }
                    ],
                    "threadCount": 2
                  }
                ]
              }
            }
            """;

    /**
     * A JDK 21 dump's virtual threads are those whose stack ends in {@code VirtualThread.run}: not main, not a
     * pool's thread (its stack ends in {@code Thread.run}), not the carrier running one.
     */
    @Test
    void LK25_aJdk21DumpListsItsVirtualThreads() {
        List<ThreadDump.VirtualThread> found = ThreadDump.parse(JDK21_DUMP);

        // Before LK25: empty (no thread of a JDK 21 dump says "virtual": true), so LK6 never failed a test on Java 21-24.
        assertThat(found).extracting(ThreadDump.VirtualThread::tid)
                .as("the virtual threads of a JDK 21 dump (not main, not a pool's thread, not the carrier running one)")
                .containsExactlyInAnyOrder(31L, 35L);
        ThreadDump.VirtualThread leaked = found.stream().filter(t -> t.tid() == 31L).findFirst().orElseThrow();
        assertThat(leaked.name()).isEqualTo("leaked-virtual");
        assertThat(leaked.container()).isEqualTo("<root>");
        assertThat(leaked.stack()).contains("com.example.LeakyTest.lambda$leaks$0(LeakyTest.java:12)");
        // JDK 21 writes no state: the report should not print the word "null" for it.
        assertThat(leaked.state()).as("state of a thread whose dump has none").isNotEqualTo("null")
                .isEqualTo(ThreadDump.UNKNOWN_STATE);
        assertThat(found.stream().filter(t -> t.tid() == 35L).findFirst().orElseThrow().container())
                .isEqualTo("java.util.concurrent.ThreadPerTaskExecutor@5e9f23b4");
    }

    /** JDK 25 says which threads are virtual: its platform threads (with a "state", no "virtual") never are. */
    @Test
    void LK25_aJdk25DumpIsReadAsBefore() {
        List<ThreadDump.VirtualThread> found = ThreadDump.parse(JDK25_DUMP, tid -> false);

        assertThat(found).extracting(ThreadDump.VirtualThread::tid).containsExactly(31L);
        assertThat(found.get(0).state()).isEqualTo("WAITING");
        assertThat(found.get(0).name()).isEqualTo("leaked-virtual");
    }

    /**
     * A JDK 21 thread with no frame (a virtual thread started but not yet run, or a platform thread starting) is
     * told apart by the JVM's list of platform threads, which lists no virtual thread.
     */
    @Test
    void LK25_aJdk21ThreadWithoutAStackIsVirtualIfItIsNoPlatformThread() {
        String dump = """
                {
                  "threadDump": {
                    "processId": "4242",
                    "time": "2026-12-05T07:00:00.000000000Z",
                    "runtimeVersion": "21.0.5+11-LTS",
                    "threadContainers": [
                      {
                        "container": "<root>",
                        "parent": null,
                        "owner": null,
                        "threads": [
                         {
                           "tid": "40",
                           "name": "just-started-platform",
                           "stack": [
                           ]
                         },
                         {
                           "tid": "41",
                           "name": "not-yet-run-virtual",
                           "stack": [
                           ]
                         }
                        ],
                        "threadCount": "2"
                      }
                    ]
                  }
                }
                """;

        assertThat(ThreadDump.parse(dump, tid -> tid == 40L)).extracting(ThreadDump.VirtualThread::name)
                .containsExactly("not-yet-run-virtual");
        assertThat(ThreadDump.parse(dump)).as("without the platform threads' ids, a thread without a stack is not reported")
                .isEmpty();
    }
}
