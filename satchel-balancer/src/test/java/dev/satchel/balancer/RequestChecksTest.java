package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
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
        RequestChecks.addForwarded(r, "127.0.0.1");
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
}
