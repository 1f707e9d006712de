package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link RedirectLocation} against the reference resolution examples of RFC 3986 section 5.4 (normal
 * and abnormal), row for row (R16). A pure function: no thread or connection is started.
 */
class RedirectLocationTest {
    private static final URI BASE = URI.create("http://a/b/c/d;p?q");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "g:h|g:h",
        "g|http://a/b/c/g",
        "./g|http://a/b/c/g",
        "g/|http://a/b/c/g/",
        "/g|http://a/g",
        "//g|http://g",
        "?y|http://a/b/c/d;p?y",
        "g?y|http://a/b/c/g?y",
        "#s|http://a/b/c/d;p?q#s",
        "g#s|http://a/b/c/g#s",
        "g?y#s|http://a/b/c/g?y#s",
        ";x|http://a/b/c/;x",
        "g;x|http://a/b/c/g;x",
        "g;x?y#s|http://a/b/c/g;x?y#s",
        ".|http://a/b/c/",
        "./|http://a/b/c/",
        "..|http://a/b/",
        "../|http://a/b/",
        "../g|http://a/b/g",
        "../..|http://a/",
        "../../|http://a/",
        "../../g|http://a/g",
        "../../../g|http://a/g",
        "../../../../g|http://a/g",
        "/./g|http://a/g",
        "/../g|http://a/g",
        "g.|http://a/b/c/g.",
        ".g|http://a/b/c/.g",
        "g..|http://a/b/c/g..",
        "..g|http://a/b/c/..g",
        "./../g|http://a/b/g",
        "./g/.|http://a/b/c/g/",
        "g/./h|http://a/b/c/g/h",
        "g/../h|http://a/b/c/h",
        "g;x=1/./y|http://a/b/c/g;x=1/y",
        "g;x=1/../y|http://a/b/c/y",
        "g?y/./x|http://a/b/c/g?y/./x",
        "g?y/../x|http://a/b/c/g?y/../x",
        "g#s/./x|http://a/b/c/g#s/./x",
        "g#s/../x|http://a/b/c/g#s/../x",
        "http:g|http:g",
    })
    void R16_rfc3986ReferenceResolutionExamples(String reference, String target) throws Exception {
        assertThat(RedirectLocation.resolve(BASE, reference).toString()).isEqualTo(target);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "?page=2|http://h/a/b?page=2",
        "c d|http://h/a/c%20d",
        "/x?a={b}|http://h/x?a=%7Bb%7D",
        "//other:81|http://other:81",
    })
    void R16_blanksAndOtherUnescapedCharactersAreEscaped(String reference, String target) throws Exception {
        assertThat(RedirectLocation.resolve(URI.create("http://h/a/b?z"), reference).toString()).isEqualTo(target);
    }

    /** R135: an empty authority names no server; as Go 1.19.8's url.Parse + ResolveReference (its request lines). */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "///y|http://h:1///y",
        "///../y/./z|http://h:1//y/z",
        "////y?b=1#f|http://h:1////y?b=1#f",
        "//|http://h:1/a/b?z",
        "//?q=2|http://h:1/a/b?q=2",
        "//#f|http://h:1/a/b?z#f",
        "///a b|http://h:1///a%20b",
    })
    void R135_anEmptyAuthorityIsTheRequestsServer(String reference, String target) throws Exception {
        assertThat(RedirectLocation.resolve(URI.create("http://h:1/a/b?z"), reference).toString()).isEqualTo(target);
    }
}
