package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestChecksTest {

    private static HttpRequest request(HttpVersion version, String... headers) {
        HttpRequest r = new DefaultHttpRequest(version, HttpMethod.POST, "/");
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    @Test
    void framingProblem_acceptsPlainLengthsAndPlainChunked() {
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1, "Content-Length", "12")))
                .isEmpty();
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked")))
                .isEmpty();
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1, "Transfer-Encoding", "Chunked")))
                .isEmpty();
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1))).isEmpty();
    }

    @Test
    void framingProblem_refusesEverySmugglingShape() {
        assertThat(RequestChecks.framingProblem(
                        request(HttpVersion.HTTP_1_1, "Content-Length", "5", "Transfer-Encoding", "chunked")))
                .hasValueSatisfying(p -> assertThat(p).contains("both"));
        assertThat(RequestChecks.framingProblem(
                        request(HttpVersion.HTTP_1_1, "Content-Length", "5", "Content-Length", "5")))
                .isPresent();
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1, "Content-Length", "5, 6")))
                .isPresent();
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1, "Content-Length", "+5")))
                .isPresent();
        for (String te :
                new String[] {"xchunked", "chunked, identity", "identity", "chunked;x", "gzip, chunked", "chunk"}) {
            assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_1, "Transfer-Encoding", te)))
                    .as(te)
                    .isPresent();
        }
        assertThat(RequestChecks.framingProblem(
                        request(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked")))
                .isPresent();
        assertThat(RequestChecks.framingProblem(request(HttpVersion.HTTP_1_0, "Transfer-Encoding", "chunked")))
                .isPresent();
    }

    @Test
    void stripHopByHop_removesListedAndNamedHeaders_butKeepsFraming() {
        HttpRequest r = request(
                HttpVersion.HTTP_1_1,
                "Connection",
                "keep-alive, X-Secret",
                "X-Secret",
                "s",
                "Keep-Alive",
                "timeout=5",
                "Upgrade",
                "h2c",
                "Proxy-Authorization",
                "Basic x",
                "Transfer-Encoding",
                "chunked",
                "X-Kept",
                "k");
        HopByHop.strip(r);
        assertThat(r.headers().names()).containsExactlyInAnyOrder("Transfer-Encoding", "X-Kept");
    }

    @Test
    void addForwarded_appendsToAnExistingChain() {
        HttpRequest r = request(HttpVersion.HTTP_1_1, "Host", "shop.example", "X-Forwarded-For", "10.0.0.1");
        RequestChecks.addForwarded(r, "127.0.0.1", false);
        assertThat(r.headers().get("X-Forwarded-For")).isEqualTo("10.0.0.1, 127.0.0.1");
        assertThat(r.headers().get("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(r.headers().get("X-Forwarded-Host")).isEqualTo("shop.example");
    }

    @Test
    void isRetriable_onlyForBodilessIdempotentRequests() {
        assertThat(RequestChecks.isRetriable(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"), false))
                .isTrue();
        assertThat(RequestChecks.isRetriable(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"), true))
                .isFalse();
        assertThat(RequestChecks.isRetriable(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"), false))
                .isFalse();
    }

    private static HttpRequest get(String target, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    @Test
    void normalizeTarget_turnsAnAbsoluteFormTargetIntoOriginFormWithItsAuthorityAsHost() {
        HttpRequest r = get("HTTP://shop.example:8080?q=1", "Host", "elsewhere");
        assertThat(RequestChecks.normalizeTarget(r)).isEmpty();
        assertThat(r.uri()).isEqualTo("/?q=1");
        assertThat(r.headers().getAll("Host")).containsExactly("shop.example:8080");
        HttpRequest ipv6 = get("http://[::1]:80/a%20b", "Host", "[::1]:80");
        assertThat(RequestChecks.normalizeTarget(ipv6)).isEmpty();
        assertThat(ipv6.uri()).isEqualTo("/a%20b");
    }

    @Test
    void normalizeTarget_refusesMissingRepeatedOrInvalidHostsAndOddTargets() {
        assertThat(RequestChecks.normalizeTarget(get("/"))).isPresent();
        assertThat(RequestChecks.normalizeTarget(get("/", "Host", "a", "Host", "a")))
                .isPresent();
        assertThat(RequestChecks.normalizeTarget(get("/", "Host", "a b"))).isPresent();
        assertThat(RequestChecks.normalizeTarget(get("/", "Host", "a@b"))).isPresent();
        assertThat(RequestChecks.normalizeTarget(get("ftp://shop/", "Host", "shop")))
                .isPresent();
        assertThat(RequestChecks.normalizeTarget(get("http:///nohost", "Host", "shop")))
                .isPresent();
        assertThat(RequestChecks.normalizeTarget(get("*", "Host", "shop")))
                .as("* is for OPTIONS")
                .isPresent();
        assertThat(RequestChecks.normalizeTarget(get("/", "Host", "")))
                .as("empty Host is allowed")
                .isEmpty();
        assertThat(RequestChecks.normalizeTarget(new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/")))
                .as("HTTP/1.0 needs no Host")
                .isEmpty();
    }

    @Test
    void normalizeTarget_refusesAFragmentControlOrNonAsciiCharacters_butKeepsOrdinaryQueries() {
        for (String target :
                List.of("/p#frag", "/p?q=1#f", "http://shop/p#f", "/p\u0001", "/p\u007f", "/p\u00ff", "/p\tq")) {
            assertThat(RequestChecks.normalizeTarget(get(target, "Host", "shop")))
                    .as(target)
                    .isPresent();
        }
        assertThat(RequestChecks.normalizeTarget(get("/p?q=a|b&r=%23x", "Host", "shop")))
                .isEmpty();
    }

    @Test
    void addForwarded_keepsEveryEarlierXForwardedForLine() {
        HttpRequest r = get("/", "Host", "h", "X-Forwarded-For", "10.0.0.1", "X-Forwarded-For", "10.0.0.2");
        RequestChecks.addForwarded(r, "127.0.0.1", false);
        assertThat(r.headers().getAll("X-Forwarded-For")).containsExactly("10.0.0.1, 10.0.0.2, 127.0.0.1");
    }

    @Test
    void hopByHop_neverRemovesHostOrFramingNamedInConnection_andKeepsTrailer() {
        HttpRequest r = request(
                HttpVersion.HTTP_1_1,
                "Connection",
                "Host, Content-Length, X-Gone",
                "Host",
                "h",
                "Content-Length",
                "2",
                "X-Gone",
                "g",
                "Trailer",
                "X-Sum",
                "TE",
                "trailers");
        HopByHop.strip(r);
        assertThat(r.headers().names()).containsExactlyInAnyOrder("Host", "Content-Length", "Trailer");
    }
}
