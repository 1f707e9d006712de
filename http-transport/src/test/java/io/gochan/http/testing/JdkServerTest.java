package io.gochan.http.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The test peer's own contract: {@link JdkServer} runs its handlers on daemon platform threads, not virtual ones (the
 * JDK server's exchange streams block inside {@code synchronized} methods, which pins a virtual thread's carrier on
 * JDK 21 to 23), and its close ends them all.
 */
@NoGoroutineLeaks
class JdkServerTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void handlersRunOnDaemonPlatformThreadsThatEndWithTheServer() throws Exception {
        AtomicReference<Thread> handler = new AtomicReference<>();
        try (JdkServer server = JdkServer.http(ex -> {
            handler.set(Thread.currentThread());
            JdkServer.respond(ex, 200, "ok");
        })) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(response).startsWith("HTTP/1.1 200").endsWith("ok");
            }
            Thread t = handler.get();
            assertThat(t).isNotNull();
            assertThat(t.isVirtual()).as("a handler on a virtual thread pins its carrier in the JDK server's streams on JDK 21-23").isFalse();
            assertThat(t.isDaemon()).isTrue();
            assertThat(t.getName()).startsWith("jdk-server-handler-");
        }
        // The pool has terminated; a worker thread may still be returning from its run(): joined, not polled.
        assertThat(handler.get().join(java.time.Duration.ofSeconds(10))).as("the server's close ended its handler thread").isTrue();
    }
}
