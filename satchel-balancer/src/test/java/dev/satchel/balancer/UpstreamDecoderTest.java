package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UpstreamDecoderTest {
    private final UpstreamDecoder decoder = new UpstreamDecoder(16 * 1024);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    /** Feeds bytes and describes what came out: "103", "end", "200", "body:abc", "failed". */
    private List<String> decode(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        List<String> seen = new ArrayList<>();
        for (Object m; (m = channel.readInbound()) != null; ) {
            if (m instanceof HttpResponse r) {
                seen.add(
                        r.decoderResult().isFailure()
                                ? "failed"
                                : String.valueOf(r.status().code()));
            }
            if (m instanceof HttpContent c && c.content().isReadable()) {
                seen.add("body:" + c.content().toString(StandardCharsets.ISO_8859_1));
            }
            if (m instanceof LastHttpContent) {
                seen.add("end");
            }
            ReferenceCountUtil.release(m);
        }
        return seen;
    }

    @Test
    void anyNumberOf1xxHeads_endAtTheirHead_andTheFinalResponseIsFramedAsItSays() {
        decoder.expectResponseTo(HttpMethod.GET);
        assertThat(decode("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"))
                .containsExactly("103", "end", "102", "end", "200", "body:abc", "end");
        assertThat(decoder.hasUnreadBytes()).isFalse();
    }

    @Test
    void aHeadRequestsResponse_hasNoBody_evenAfterAnInterimHead() {
        decoder.expectResponseTo(HttpMethod.HEAD);
        assertThat(decode("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"))
                .containsExactly("103", "end", "200", "end");
    }

    @Test
    void repeatedContentLength_failsOnHttp10Too() {
        decoder.expectResponseTo(HttpMethod.GET);
        assertThat(decode("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"))
                .first()
                .isEqualTo("failed");
    }

    @Test
    void lengthWithChunked_fails() {
        decoder.expectResponseTo(HttpMethod.GET);
        assertThat(decode("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .first()
                .isEqualTo("failed");
    }

    @Test
    void a204WithALength_orAChunked304_isMarkedAsFramingABody_andStrayBytesAreSeen() {
        decoder.expectResponseTo(HttpMethod.GET);
        assertThat(decode("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhel"))
                .containsExactly("204", "end");
        assertThat(decoder.framedAForbiddenBody()).isTrue();
        assertThat(decoder.hasUnreadBytes()).isTrue();
    }

    @Test
    void aChunked304_isMarkedAsFramingABody_butAPlain304IsNot() {
        decoder.expectResponseTo(HttpMethod.GET);
        assertThat(decode("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .containsExactly("304", "end");
        assertThat(decoder.framedAForbiddenBody()).isTrue();
        assertThat(decode("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"))
                .containsExactly("304", "end");
        assertThat(decoder.framedAForbiddenBody())
                .as("a 304 may state the length it would have")
                .isFalse();
        assertThat(decoder.hasUnreadBytes()).isFalse();
    }
}
