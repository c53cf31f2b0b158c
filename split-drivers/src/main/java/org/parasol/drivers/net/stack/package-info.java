/**
 * A small IPv4 stack for guests, in the spirit of MirageOS's: Ethernet II, ARP with a bounded
 * cache and timeouts, IPv4 with fragment reassembly, ICMP echo and UDP sockets, with static
 * addressing. It sits on a {@link org.parasol.drivers.net.stack.NetDevice} (netfront in a guest,
 * a {@link org.parasol.drivers.net.stack.LoopbackWire} in tests) and takes its time from the
 * kernel's run loop through {@link org.parasol.drivers.net.stack.NetTime}.
 *
 * <p>Every frame is hostile: each parse path accepts any bytes and drops what it cannot use,
 * counting why in {@link org.parasol.drivers.net.stack.StackCounters}; nothing a peer sends
 * makes it throw. See {@code docs/ipstack.md}.
 */
package org.parasol.drivers.net.stack;
