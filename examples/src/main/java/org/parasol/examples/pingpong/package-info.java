/**
 * The pingpong example: two domains, a shared ring in a granted page and an interdomain event
 * channel, set up by an offer one domain prints and the launcher passes to the other.
 */
package org.parasol.examples.pingpong;
