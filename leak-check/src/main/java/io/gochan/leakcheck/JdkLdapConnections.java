package io.gochan.leakcheck;

import java.util.List;

/**
 * LK61: the reader thread of a JNDI LDAP connection ({@code javax.naming.directory.InitialDirContext} on
 * {@code com.sun.jndi.ldap}), told by its loop. It runs the JDK's code only, so LK11 took it for one of the JDK's own;
 * but the JDK starts one for each connection a context opens, and it ends only when every context sharing that
 * connection is closed (or the server closes it): one created while a test ran is a context the test left open.
 */
final class JdkLdapConnections {
    /** The reader's loop (JDK 21 to 25): the first frame from the bottom outside {@code java.*}. */
    private static final String READER = "com.sun.jndi.ldap.Connection.run";

    private JdkLdapConnections() {}

    /** {@return whether a thread with these functions (innermost first) is an LDAP connection's reader} */
    static boolean isReader(List<String> functions) {
        return Frames.entry(functions).equals(READER);
    }

    /**
     * {@return what an LDAP connection's reader is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(List<String> functions, String ran) {
        if (!isReader(functions)) {
            return "";
        }
        return "the reader of a JNDI LDAP connection (javax.naming.directory, com.sun.jndi.ldap) opened while " + ran
                + " and never closed: close the context with ctx.close(), and every context and enumeration that shares"
                + " its connection (a pooled connection, com.sun.jndi.ldap.connect.pool, stays open by design: excuse it"
                + " with ignoreAnyFunction = \"com\\\\.sun\\\\.jndi\\\\.ldap\\\\.Connection\\\\.run\") (LK61)";
    }
}
