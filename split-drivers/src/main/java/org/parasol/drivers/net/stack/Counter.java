package org.parasol.drivers.net.stack;

/** What the stack did, counted in {@link StackCounters} beside its {@link Drop}s. */
public enum Counter {
    /** Frames the device delivered to the stack. */
    FRAMES_IN,
    /** Bytes of those frames. */
    BYTES_IN,
    /** Frames the stack handed to the device. */
    FRAMES_OUT,
    /** Bytes of those frames. */
    BYTES_OUT,
    /** ARP requests sent (retries included). */
    ARP_REQUESTS_SENT,
    /** ARP replies sent, answering requests for our address. */
    ARP_REPLIES_SENT,
    /** Cache entries added or refreshed from what peers sent. */
    ARP_ENTRIES_LEARNED,
    /** Cache entries pushed out to make room (the cache is bounded). */
    ARP_EVICTIONS,
    /** Cache entries found expired on lookup and removed. */
    ARP_EXPIRED,
    /** Destinations given up after the last request went unanswered. */
    ARP_FAILURES,
    /** IP packets delivered to ICMP or UDP (after reassembly). */
    IP_PACKETS_IN,
    /** IP packets sent (before fragmentation). */
    IP_PACKETS_OUT,
    /** Fragments sent for packets larger than the MTU. */
    FRAGMENTS_OUT,
    /** Fragments received and kept for reassembly. */
    FRAGMENTS_IN,
    /** Datagrams reassembled from fragments. */
    REASSEMBLED,
    /** Echo requests answered. */
    ECHO_REPLIES_SENT,
    /** Echo requests of our own sent. */
    ECHO_REQUESTS_SENT,
    /** Echo replies that answered a ping of ours. */
    ECHO_REPLIES_MATCHED,
    /** Pings that timed out. */
    PING_TIMEOUTS,
    /** UDP datagrams handed to a socket. */
    UDP_DATAGRAMS_IN,
    /** UDP datagrams sent. */
    UDP_DATAGRAMS_OUT,
    /** Packets to our own address, delivered without the device. */
    LOOPED_BACK
}
