package dev.satchel.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.util.List;

/**
 * Netty's request decoder, with two changes.
 *
 * <p>A request with both Transfer-Encoding and Content-Length fails instead of being quietly
 * reinterpreted. Two parsers that disagree about where a body ends is what request smuggling
 * exploits, so the balancer refuses the request and closes the connection rather than guess which
 * framing the next hop will believe.
 *
 * <p>After a WebSocket upgrade request it decodes nothing more: whatever follows belongs to the
 * new protocol if the node switches, and the connection closes if it does not. Those bytes stay
 * in the decoder's buffer, and removing the decoder hands them on to the tunnel.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
    private boolean upgradeAsked;

    StrictRequestDecoder(HttpDecoderConfig config) {
        super(config);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (upgradeAsked) {
            return;
        }
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            if (out.get(i) instanceof HttpRequest request
                    && request.decoderResult().isSuccess()
                    && Upgrades.isWebSocket(request)) {
                upgradeAsked = true; // a bodiless GET: its end was decoded in the same call
            }
        }
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        message.setDecoderResult(DecoderResult.failure(
                new IllegalArgumentException("both Transfer-Encoding and Content-Length are present")));
    }
}
