package dev.satchel.balancer;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder, except that a request with both Transfer-Encoding and Content-Length
 * fails instead of being quietly reinterpreted. Two parsers that disagree about where a body ends
 * is what request smuggling exploits, so the balancer refuses the request and closes the
 * connection rather than guess which framing the next hop will believe.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {

    StrictRequestDecoder(HttpDecoderConfig config) {
        super(config);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        message.setDecoderResult(DecoderResult.failure(
                new IllegalArgumentException("both Transfer-Encoding and Content-Length are present")));
    }
}
