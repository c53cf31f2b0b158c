package org.parasol.guest.grant;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.Mfn;

/**
 * One frame this domain granted to another with {@link GrantTable#grantAccess}: the
 * granter's side of a grant, as {@link GrantMapping} is the mapper's. Closing it ends the
 * foreign access ({@code gnttab_end_foreign_access}) and frees its reference, or, while the
 * hypervisor still uses the grant (a copy in progress, a live mapping), hands both to the
 * table's deferred list, which retries with back-off. Use it in try-with-resources:
 *
 * <pre>{@code
 * try (GrantedPage g = k.grants().grantAccess(peer, frame, false)) {
 *     ... tell the peer g.ref() ...
 * }   // access ended (or its end deferred)
 * }</pre>
 *
 * <p>Invariants: live from {@code grantAccess} until its end of access is asked for, once;
 * closing again does nothing. The reference is reused only after the end succeeded, and an
 * object that was ended never touches the entry again, even once its reference was granted
 * anew.
 */
public final class GrantedPage implements AutoCloseable {
    private final GrantTable table;
    private final GrantRef ref;
    private final DomId grantee;
    private final Mfn frame;
    private final boolean readonly;

    GrantedPage(GrantTable table, GrantRef ref, DomId grantee, Mfn frame, boolean readonly) {
        this.table = table;
        this.ref = ref;
        this.grantee = grantee;
        this.frame = frame;
        this.readonly = readonly;
    }

    /** The grant reference the grantee maps or copies with. */
    public GrantRef ref() {
        return ref;
    }

    /** The domain allowed to use the frame. */
    public DomId grantee() {
        return grantee;
    }

    /** The frame granted. */
    public Mfn frame() {
        return frame;
    }

    /** Whether the grant is read-only ({@code GTF_readonly}). */
    public boolean readonly() {
        return readonly;
    }

    /** Whether its end of access was asked for (done, or deferred until the hypervisor lets go). */
    public boolean isEnded() {
        return !table.isLive(this);
    }

    /**
     * Ends access now, or defers the end while the hypervisor still uses the grant, at the
     * table's clock; as {@link GrantTable#endAccess}.
     *
     * @return true if the reference was freed now, false if its end was deferred
     * @throws IllegalStateException if the end was asked for already
     */
    public boolean endAccess() {
        return table.endAccessNow(this);
    }

    /** Ends access (or defers its end) unless that was done already. */
    @Override
    public void close() {
        if (!isEnded()) {
            endAccess();
        }
    }

    @Override
    public String toString() {
        return "GrantedPage[" + ref + ", " + frame + " to " + grantee + (readonly ? ", read-only" : "")
                + (isEnded() ? ", ended]" : "]");
    }
}
