package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void unbufferedHandoffAndCloseOnVirtualThreads() throws Exception {
        Chan<Integer> ch = Chan.make();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 1000; i++) ch.send(i);
                ch.close();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        List<Integer> got = new ArrayList<>();
        for (int v : ch) got.add(v);
        t.join();
        assertThat(got).hasSize(1000).startsWith(0, 1, 2).endsWith(999);
    }

    @Test
    void bufferedFifo() throws Exception {
        Chan<Integer> ch = Chan.make(4);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 10000; i++) ch.send(i);
                ch.close();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        int expect = 0;
        for (int v : ch) assertThat(v).isEqualTo(expect++);
        t.join();
        assertThat(expect).isEqualTo(10000);
    }
}
