package io.gochan.leakcheck;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.leakcheck.fixtures.InvocationsFixture;
import io.gochan.leakcheck.fixtures.TimeoutFixture;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProbeLjTest {
    static void dump(Map<String, String> o) {
        o.forEach((k, v) -> System.out.println("### " + k + " => " + v));
    }

    @Test
    void probe() {
        dump(BlindSpotTest.run(selectClass(InvocationsFixture.class)));
        InvocationsFixture.release.countDown();
        dump(BlindSpotTest.run(selectClass(TimeoutFixture.class)));
        TimeoutFixture.release.countDown();
    }
}
