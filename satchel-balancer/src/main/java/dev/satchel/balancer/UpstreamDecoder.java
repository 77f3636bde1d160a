package dev.satchel.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Reads a node's responses on one upstream connection. Unlike Netty's client codec, which pairs each
 * response head with a queued request method, it knows that one request is in flight at a time and
 * that any number of 1xx heads may come before its final response (RFC 9110 section 15.2): a 103
 * does not use up the request, so the final response after it is framed as the request's own. A
 * head with both Content-Length and Transfer-Encoding fails rather than being reinterpreted. Confined
 * to the connection's event loop.
 */
final class UpstreamDecoder extends HttpResponseDecoder {
    private boolean headRequest;
    /** Content-Length lines in the head being read: Netty keeps only the first on HTTP/1.0. */
    private int contentLengthLines;
    /** The last head was one without a body that framed a body anyway. */
    private boolean framedAForbiddenBody;

    UpstreamDecoder(int maxHeaderBytes) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(Math.min(maxHeaderBytes, 8192))
                .setMaxHeaderSize(maxHeaderBytes)
                .setMaxChunkSize(64 * 1024));
    }

    /** Called before a request is written: a HEAD request's response has no body, whatever it says. */
    void expectResponseTo(HttpMethod method) {
        headRequest = HttpMethod.HEAD.equals(method);
    }

    /** Whether bytes the node sent are still unread past the end of what was decoded. */
    boolean hasUnreadBytes() {
        return actualReadableBytes() > 0;
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) {
        contentLengthLines = 0;
        framedAForbiddenBody = false;
        return super.createMessage(initialLine);
    }

    @Override
    protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
        AsciiString name = super.splitHeaderName(sb, start, length);
        if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
            contentLengthLines++;
        }
        return name;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, buffer, out);
        if (contentLengthLines > 1) {
            // Two lengths are two framings a proxy cannot choose between (RFC 9112 section 6.3).
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof HttpResponse head
                        && head.decoderResult().isSuccess()) {
                    head.setDecoderResult(
                            DecoderResult.failure(new IllegalArgumentException("more than one Content-Length")));
                }
            }
        }
    }

    /**
     * Whether the last head, a 204 or 304, framed a body anyway: a 204 may carry neither framing
     * header (RFC 9110 section 8.6) and a 304 is never chunked. Netty drops such a head's
     * Transfer-Encoding, so only the decoder can tell. Bytes of that body may still arrive, whenever,
     * so the connection must not serve another request.
     */
    boolean framedAForbiddenBody() {
        return framedAForbiddenBody;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        int code = ((HttpResponse) msg).status().code();
        HttpHeaders h = msg.headers();
        String length = h.get(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = h.contains(HttpHeaderNames.TRANSFER_ENCODING);
        framedAForbiddenBody =
                (code == 204 && (chunked || (length != null && !length.strip().equals("0"))))
                        || (code == 304 && chunked);
        if (code >= 100 && code < 200) {
            return true; // interim: ends with its head, and the final response is still to come
        }
        return headRequest || super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        message.setDecoderResult(DecoderResult.failure(
                new IllegalArgumentException("both Transfer-Encoding and Content-Length are present")));
    }
}
