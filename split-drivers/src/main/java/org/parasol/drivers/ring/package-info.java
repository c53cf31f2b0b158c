/**
 * Xen's shared ring protocol ({@code io/ring.h}) over one page, typed, for both ends of every
 * split driver: blkif, netif tx/rx, and the example rings.
 *
 * <pre>
 *   SharedBuffer               the page (hypercall-api): acquire/release words, copies, fence
 *     |- GuestMemoryBuffer     ... at a guest virtual address (drivers in domains)
 *     '- SegmentBuffer         ... over a MemorySegment (tests, benchmarks)
 *   SharedRing                 struct sring: req_prod, req_event, rsp_prod, rsp_event, slots
 *   FrontRing&lt;Q, S&gt;           produces requests, consumes responses   (req_prod_pvt, rsp_cons)
 *   BackRing&lt;Q, S&gt;            consumes requests, produces responses   (rsp_prod_pvt, req_cons)
 *   EntryCodec&lt;T&gt;             one entry type &lt;-&gt; the bytes of a slot
 *   RingOverflowException      the peer published an impossible producer index
 * </pre>
 *
 * <p>The ring core knows nothing of event channels: each view takes "notify the peer" as a
 * {@link java.lang.Runnable} and calls it when ring.h's notify check says so. See
 * {@code docs/rings.md} for the index diagram and the barrier rules.
 */
package org.parasol.drivers.ring;
