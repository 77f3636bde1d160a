package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class UpgradesTest {

    private static HttpRequest request(HttpVersion version, HttpMethod method, String connection, String upgrade) {
        HttpRequest r = new DefaultHttpRequest(version, method, "/ws");
        r.headers().set("Host", "x");
        if (connection != null) {
            r.headers().set("Connection", connection);
        }
        if (upgrade != null) {
            r.headers().set("Upgrade", upgrade);
        }
        return r;
    }

    @Test
    void aWebSocketHandshake_isTunnelled_whateverTheCaseAndTheOtherConnectionTokens() {
        assertThat(Upgrades.isWebSocket(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket")))
                .isTrue();
        assertThat(Upgrades.isWebSocket(
                        request(HttpVersion.HTTP_1_1, HttpMethod.GET, "keep-alive, UPGRADE", "WebSocket")))
                .isTrue();
    }

    @Test
    void anythingElse_staysPlainHttp() {
        assertThat(Upgrades.isWebSocket(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "Upgrade", "websocket")))
                .as("HTTP/1.0 has no Upgrade")
                .isFalse();
        assertThat(Upgrades.isWebSocket(request(HttpVersion.HTTP_1_1, HttpMethod.POST, "Upgrade", "websocket")))
                .as("a WebSocket handshake is a GET")
                .isFalse();
        assertThat(Upgrades.isWebSocket(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "h2c")))
                .as("h2c would talk past the balancer")
                .isFalse();
        assertThat(Upgrades.isWebSocket(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "keep-alive", "websocket")))
                .as("Upgrade without Connection: upgrade is not a request to switch")
                .isFalse();
        assertThat(Upgrades.isWebSocket(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket/13")))
                .isFalse();
        HttpRequest withBody = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket");
        withBody.headers().set("Content-Length", "5");
        assertThat(Upgrades.isWebSocket(withBody))
                .as("a body would be read as frames")
                .isFalse();
        HttpRequest chunked = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket");
        chunked.headers().set("Transfer-Encoding", "chunked");
        assertThat(Upgrades.isWebSocket(chunked)).isFalse();
    }

    @Test
    void onlyA101ToWebSocket_switches() {
        HttpResponse ws = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        ws.headers().set("Upgrade", "websocket");
        assertThat(Upgrades.switchesToWebSocket(ws)).isTrue();
        HttpResponse h2c = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        h2c.headers().set("Upgrade", "h2c");
        assertThat(Upgrades.switchesToWebSocket(h2c)).isFalse();
        HttpResponse ok = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        ok.headers().set("Upgrade", "websocket");
        assertThat(Upgrades.switchesToWebSocket(ok)).isFalse();
    }
}
