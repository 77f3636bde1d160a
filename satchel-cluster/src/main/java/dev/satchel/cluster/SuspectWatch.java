package dev.satchel.cluster;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.stack.Protocol;

/**
 * Tells the answer links which nodes JGroups suspects, as it tells its own pending requests: at
 * the top of the stack, it hears each suspicion on its way up (once VERIFY_SUSPECT2 has confirmed
 * it). A save waiting for a suspected node's answer on a link then stops waiting and waits for the
 * view without that node instead, as one waiting through JGroups does, rather than for its timeout.
 */
final class SuspectWatch extends Protocol {
    private final Consumer<Collection<Address>> suspected;

    SuspectWatch(Consumer<Collection<Address>> suspected) {
        this.suspected = suspected;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object up(Event evt) {
        if (evt.getType() == Event.SUSPECT) {
            Object arg = evt.getArg();
            if (arg instanceof Address one) {
                suspected.accept(List.of(one));
            } else if (arg instanceof Collection<?> many) {
                suspected.accept((Collection<Address>) many);
            }
        }
        return up_prot.up(evt);
    }
}
