package org.parasol.drivers.net.stack;

/**
 * Why the stack dropped something. Each drop is counted once, in the unit named: a frame
 * (received or to be sent), an IP fragment, or a datagram.
 */
public enum Drop {
    /** A frame or header shorter than its fixed part, or than a length field says. */
    TRUNCATED,
    /** A received frame longer than 14 + MTU bytes. */
    OVERSIZED,
    /** Not addressed to us: another unicast MAC, a multicast MAC, another IP address, or an ARP for someone else. */
    NOT_FOR_US,
    /** A header field that cannot be: IP version not 4, IHL below 5, total length below the header, UDP length below 8, ARP not Ethernet/IPv4. */
    BAD_HEADER,
    /** An IPv4 header, ICMP message or UDP datagram whose RFC 1071 checksum does not verify. */
    BAD_CHECKSUM,
    /** A source that cannot be a sender: a multicast or broadcast MAC or IP address, or our own IP address from someone else. */
    BAD_SOURCE,
    /** An EtherType other than IPv4 and ARP (VLAN tags and IEEE 802.3 length fields included), or an IP protocol other than ICMP and UDP. */
    UNKNOWN_PROTOCOL,
    /** A valid ICMP message of a type the stack does not handle (anything but echo request and reply). */
    UNSUPPORTED,
    /** An echo request sent to a broadcast address: not answered, as Linux's icmp_echo_ignore_broadcasts. */
    BROADCAST_ECHO,
    /** An echo reply that answers no ping of ours (wrong identifier, unknown or timed-out sequence, other source). */
    UNSOLICITED,
    /** A UDP datagram to a port no socket is bound to. */
    NO_LISTENER,
    /** A UDP datagram for a socket whose receive queue is full. */
    QUEUE_FULL,
    /** A packet to send with no route: off-link with no gateway, or to a multicast address. */
    NO_ROUTE,
    /** A packet to send that the device refused (its transmit returned false). */
    DEVICE_BUSY,
    /** A packet waiting for ARP pushed out by a newer one (queue bound per destination), or no room for another destination. */
    ARP_QUEUE_FULL,
    /** A packet that waited for ARP resolution that never came (every request went unanswered). */
    ARP_UNRESOLVED,
    /** A fragment that cannot be: payload not a multiple of 8 with more fragments, empty, or ending past 65535. */
    FRAGMENT_BAD,
    /** A fragment whose bytes had all arrived already (the copy is ignored; the reassembly goes on). */
    FRAGMENT_DUPLICATE,
    /** A fragment overlapping part of what arrived, or contradicting the datagram's length: the whole reassembly is dropped (one count). */
    FRAGMENT_OVERLAP,
    /** A reassembly that did not complete in time (one count per datagram). */
    FRAGMENT_TIMEOUT,
    /** A fragment refused because the reassembly buffers are at their bound (datagrams in progress or bytes held). */
    REASSEMBLY_FULL
}
