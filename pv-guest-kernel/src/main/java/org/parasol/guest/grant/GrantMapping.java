package org.parasol.guest.grant;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;

/**
 * One page of another domain mapped into this one by {@link GrantMapper#map}: readable (and
 * writable unless {@link #readonly()}) at {@link #va()} through the domain's
 * {@link org.parasol.hypercall.GuestMemory}. Closing it unmaps the page
 * ({@code GNTTABOP_unmap_grant_ref} with its {@link #handle()}); afterwards the address
 * faults. Use it in try-with-resources.
 *
 * <p>Invariants: open until {@link #close} succeeds; closing again does nothing.
 */
public final class GrantMapping implements AutoCloseable {
    private final GrantMapper mapper;
    private final int slot;
    private final long va;
    private final int handle;
    private final DomId granter;
    private final GrantRef ref;
    private final boolean readonly;
    private boolean closed;

    GrantMapping(GrantMapper mapper, int slot, long va, long handle, DomId granter, GrantRef ref, boolean readonly) {
        this.mapper = mapper;
        this.slot = slot;
        this.va = va;
        this.handle = (int) handle;
        this.granter = granter;
        this.ref = ref;
        this.readonly = readonly;
    }

    /** Where the page is mapped. */
    public long va() {
        return va;
    }

    /** The maptrack handle the hypervisor gave the mapping. */
    public int handle() {
        return handle;
    }

    /** The domain that granted the page. */
    public DomId granter() {
        return granter;
    }

    /** The grant reference mapped. */
    public GrantRef ref() {
        return ref;
    }

    /** Whether the page is mapped read-only. */
    public boolean readonly() {
        return readonly;
    }

    /** Whether the mapping was closed. */
    public boolean isClosed() {
        return closed;
    }

    int slot() {
        return slot;
    }

    /**
     * Unmaps the page. Idempotent.
     *
     * @throws GrantMapException if the hypervisor refuses the unmap (the mapping stays open)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        mapper.unmap(this);
        closed = true;
    }

    @Override
    public String toString() {
        return "GrantMapping[" + ref + " of " + granter + " at 0x" + Long.toHexString(va) + ", handle " + handle
                + (readonly ? ", read-only" : "") + (closed ? ", closed]" : "]");
    }
}
