package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.http.internal.RedactedUri;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a URI text is shown in messages (R17, R81, R93, R104): by the text, its password written {@code xxxxx}. No thread, no
 * connection: the redaction alone, and the refusal of {@link HttpRequest#get(String)} that prints it.
 */
class RedactedUriTest {

    /**
     * R93: a password holding an unescaped {@code #}, {@code /} or {@code ?} cuts the authority short before its
     * {@code @} ({@code alice:p}, a host with a port that is no number): the user info then ends at the text's last
     * {@code @}, and no character of the password is shown. Before: the redaction looked for the {@code @} only before
     * the first {@code /}, {@code ?} or {@code #}, found none, and printed the text whole.
     */
    @Test
    void R93_aPasswordCutShortByASlashQueryOrHashIsHiddenWhole() {
        String[][] cases = {
                {"http://alice:p#ss@example.com/", "http://alice:xxxxx@example.com/"},
                {"http://alice:a/b@example.com/x", "http://alice:xxxxx@example.com/x"},
                {"http://alice:a?b@example.com/x?q=1", "http://alice:xxxxx@example.com/x?q=1"},
                // The password "a/b@c": the last '@' ends it, not the first after the cut.
                {"http://alice:a/b@c@example.com/", "http://alice:xxxxx@example.com/"},
                {"http://alice:#x/y?z@[::1]:8080/p", "http://alice:xxxxx@[::1]:8080/p"},
                // A password that starts with '/': "alice:" is no host and port either.
                {"http://alice:/pw@example.com/", "http://alice:xxxxx@example.com/"},
                // Without "//" (R93's first form), and a "//" inside the password, which is no "scheme://".
                {"http:alice:p#ss@example.com/", "http:alice:xxxxx@example.com/"},
                {"HTTP:/alice:p?w@example.com/", "HTTP:/alice:xxxxx@example.com/"},
                {"http:alice:p//w@example.com/", "http:alice:xxxxx@example.com/"},
                {"alice:p/w@proxy:3128", "alice:xxxxx@proxy:3128"},
                {"//alice:p#w@example.com/", "//alice:xxxxx@example.com/"},
        };
        for (String[] c : cases) {
            assertThat(RedactedUri.ofText(c[0])).as(c[0]).isEqualTo(c[1]);
        }
        // A server's authority (a port of digits, an IPv6 literal, no ':' at all) is left as it is, whatever '@' its path,
        // query or fragment holds: a mail address in a query is no password.
        for (String kept : List.of("http://example.com:8080/users?mail=a@b.example", "http://example.com/@alice",
                "http://[::1]:8080/a@b", "http://example.com:8080#a@b", "http://example.com:abc/x")) {
            assertThat(RedactedUri.ofText(kept)).as(kept).isEqualTo(kept);
        }
        // User info in the authority is redacted as before, the '@' of the query kept.
        assertThat(RedactedUri.ofText("http://alice:pw@example.com/?mail=a@b.example"))
                .isEqualTo("http://alice:xxxxx@example.com/?mail=a@b.example");
    }

    /**
     * R93, R81: such a URL given to {@link HttpRequest#get(String)} is refused ({@code java.net.URI} reads
     * {@code alice:s3cr} as a registry authority, so "URI has no host") without any part of its password, in the
     * message or a cause. Before: "URI has no host (...): http://alice:s3cr#t9@example.com/".
     */
    @Test
    void R93_aRefusedUrlWithSuchAPasswordNeverQuotesIt() {
        for (String text : List.of("http://alice:s3cr#t9@example.com/", "http://alice:s3cr/t9@example.com/",
                "http://alice:s3cr?t9@example.com/x", "http://alice:s3cr/t9@t9b@example.com/", "http:alice:s3cr/t9@example.com/")) {
            Throwable t = catchThrowable(() -> HttpRequest.get(text));
            assertThat(t).as(text).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alice:xxxxx@example.com");
            for (Throwable c = t; c != null; c = c.getCause()) {
                assertThat(c.getMessage()).as("%s: %s", text, c).doesNotContain("s3cr").doesNotContain("t9");
            }
        }
    }

    /**
     * R104: after a {@code :} followed by no port at all, the text is a server's URL to every parser ({@code java.net.URI}
     * too: host {@code example.com}, no port), and an {@code @} in its query is the server's: the text is shown as it is,
     * in {@link HttpRequest#toString()} too. Before, R93's rule took the empty port for a password cut short and hid all
     * up to the query's last {@code @} ({@code http://example.com:xxxxx@b}). A password that starts with {@code /} or
     * {@code #} is still hidden, up to the last {@code @} before the query (or in the fragment).
     */
    @Test
    void R104_anAtInTheQueryAfterAnEmptyPortIsNoPassword() {
        for (String kept : List.of("http://example.com:/p?m=a@b", "http://example.com:?mail=a@b.example",
                "http:example.com:/p?m=a@b", "https://example.com:/x/y?next=u@h/p&z=1", "HTTPS://example.com:/?to=a@b#top")) {
            assertThat(RedactedUri.ofText(kept)).as(kept).isEqualTo(kept);
        }
        assertThat(HttpRequest.get("http://example.com:/p?m=a@b").toString()).isEqualTo("GET http://example.com:/p?m=a@b");
        String[][] hidden = {
                {"http://alice:/pw@example.com/p?m=a@b", "http://alice:xxxxx@example.com/p?m=a@b"},
                {"http://alice:/pw@example.com/", "http://alice:xxxxx@example.com/"},
                {"http://alice:#pw@example.com/", "http://alice:xxxxx@example.com/"},
                {"http://alice:#x/y?z@[::1]:8080/p", "http://alice:xxxxx@[::1]:8080/p"},
                {"http:alice:/pw@example.com/", "http:alice:xxxxx@example.com/"},
        };
        for (String[] c : hidden) {
            assertThat(RedactedUri.ofText(c[0])).as(c[0]).isEqualTo(c[1]);
        }
    }
}
