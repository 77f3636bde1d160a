package dev.satchel.cluster;

import dev.satchel.core.SessionStoreUnavailableException;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.jgroups.util.Rsp;
import org.jgroups.util.RspList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A joining node's pull of its sessions, both sides, as both stores do it: in {@link PullPage}s by
 * a hash of the id, one round trip each, because one answer of every session would hold up, on
 * the same connection, every save sent behind it (JGroups' STATE_TRANSFER did: 0.6 s at 100,000
 * sessions). Saves reaching the joiner meanwhile wait at its gate ({@link Membership}). A node
 * answers a page once its own view holds the joiner: a save sent to it in the view before either
 * arrived first, and is in the page, or arrives after, and is passed on to the joiner.
 */
final class JoinPull {
    private static final Logger LOG = LoggerFactory.getLogger(JoinPull.class);
    /** Views larger than this in a request are taken for garbage. */
    private static final int MAX_VIEW = 10_000;

    /**
     * What a joiner asks for: one page of its sessions, ranked by the joiner's view (the
     * answering node may not have installed the view with the joiner yet, and would rank
     * without it).
     */
    record Ask(String joiner, List<String> joinersView, PullPage page) {
        Ask {
            joinersView = List.copyOf(joinersView);
        }

        void write(DataOutput out) throws IOException {
            out.writeUTF(joiner);
            out.writeInt(joinersView.size());
            for (String member : joinersView) {
                out.writeUTF(member);
            }
            page.write(out);
        }

        static Ask read(DataInput in) throws IOException {
            String joiner = in.readUTF();
            int size = in.readInt();
            if (size < 1 || size > MAX_VIEW) {
                throw new IOException("implausible view size in a pull: " + size);
            }
            List<String> view = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                view.add(in.readUTF());
            }
            return new Ask(joiner, view, PullPage.read(in));
        }
    }

    private final MessageDispatcher dispatcher;
    private final byte kind;
    private final Duration timeout;
    private final int attempts;
    private final boolean answerNeeded;

    /**
     * @param kind the store's request kind for a pull
     * @param timeout the store's timeout; a page may take five times as long
     * @param attempts how often a page no node answered is asked for
     * @param answerNeeded whether a page must be answered by at least one node (a single source);
     *     otherwise nodes suspected of having died are skipped, and their copies come from others
     */
    JoinPull(MessageDispatcher dispatcher, byte kind, Duration timeout, int attempts, boolean answerNeeded) {
        this.dispatcher = dispatcher;
        this.kind = kind;
        this.timeout = timeout;
        this.attempts = attempts;
        this.answerNeeded = answerNeeded;
    }

    /**
     * Asks {@code from} for every page of the sessions of {@code joiner}, ranked by {@code
     * joinersView}, and hands each copy received to {@code apply}.
     *
     * @return how many copies were received
     * @throws SessionStoreUnavailableException if a page stayed unanswered after every attempt
     */
    int pull(Address joiner, List<Address> joinersView, List<Address> from, Consumer<Copy> apply) throws Exception {
        return pull(joiner, joinersView, from, PullPage.COUNT, apply);
    }

    /**
     * As above, in {@code pages} pages: fewer, larger answers for a node catching up after a merge,
     * which refuses requests until it is done, where one round trip per page under load adds up
     * (64 pages took 2.5 s in the lab's partition).
     */
    int pull(Address joiner, List<Address> joinersView, List<Address> from, int pages, Consumer<Copy> apply)
            throws Exception {
        List<String> view = joinersView.stream().map(Address::toString).toList();
        int received = 0;
        for (int p = 0; p < pages; p++) {
            Ask ask = new Ask(joiner.toString(), view, new PullPage(p, pages));
            received += pullPage(from, ask, ClusterChannel.request(kind, ask::write), apply);
        }
        return received;
    }

    private int pullPage(List<Address> from, Ask ask, byte[] request, Consumer<Copy> apply) throws Exception {
        String failure = "";
        for (int attempt = 1; attempt <= attempts; attempt++) {
            RspList<byte[]> answers = dispatcher.castMessage(
                    from,
                    new BytesMessage(null, request),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis() * 5).anycasting(true));
            List<String> missing = new ArrayList<>();
            int applied = 0;
            boolean answered = false;
            for (Map.Entry<Address, Rsp<byte[]>> e : answers.entrySet()) {
                Rsp<byte[]> rsp = e.getValue();
                if (rsp.wasReceived() && !rsp.hasException() && rsp.getValue() != null) {
                    for (Copy copy : CopyWire.readAll(ClusterChannel.in(rsp.getValue()))) {
                        apply.accept(copy);
                        applied++;
                    }
                    answered = true;
                } else if (!rsp.wasSuspected() || answerNeeded) {
                    missing.add(e.getKey()
                            + (rsp.hasException() ? " (" + rsp.getException().getMessage() + ")" : ""));
                }
            }
            if (missing.isEmpty() && (answered || !answerNeeded)) {
                return applied;
            }
            failure = "page " + ask.page() + " not answered by " + (missing.isEmpty() ? from : missing);
            LOG.warn("joining: {}; attempt {} of {}", failure, attempt, attempts);
        }
        throw new SessionStoreUnavailableException("could not receive this node's sessions: " + failure, null);
    }

    /**
     * Answers a joiner's pull read from {@code in}, once this node's view holds the joiner (or
     * the timeout passed): the copies {@code select} picks for the ask.
     */
    static byte[] answer(DataInput in, Membership membership, Duration timeout, Function<Ask, List<Copy>> select)
            throws IOException {
        Ask ask = Ask.read(in);
        membership.awaitMember(ask.joiner(), timeout);
        List<Copy> answer = select.apply(ask);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 * answer.size() + 4);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            CopyWire.writeAll(answer, out);
        }
        return bytes.toByteArray();
    }
}
