package io.gochan.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TmpEnvpProbeTest {
    @Test
    void run() throws Exception {
        Map<String, String> env = new HashMap<>();
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("/tmp/envp-oracle/proxy-cases.txt"))) {
            if (line.startsWith("case ")) {
                env = new HashMap<>();
                out.append("## ").append(line).append('\n');
            } else if (line.startsWith("env ")) {
                String e = line.substring(4);
                env.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
            } else if (line.startsWith("url ")) {
                String u = line.substring(4);
                out.append(u).append(" -> ").append(ProxyOracleTest.ours(env, u)).append('\n');
            }
        }
        Files.writeString(Path.of("/tmp/envp-oracle/ours.txt"), out);
    }
}
