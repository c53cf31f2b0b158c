package org.parasol.guest.xenbus;

/**
 * A xenstore transaction, by the id {@code XS_TRANSACTION_START} returned: what every request
 * made inside it carries in its header's {@code tx_id}. Mini-OS's {@code xenbus_transaction_t}.
 *
 * @param id the transaction id; 0 is {@link #NONE}, Mini-OS's {@code XBT_NIL}
 */
public record XenbusTransaction(int id) {
    /** No transaction: the request sees and changes the live store. */
    public static final XenbusTransaction NONE = new XenbusTransaction(0);

    @Override
    public String toString() {
        return id == 0 ? "no transaction" : "transaction " + Integer.toUnsignedString(id);
    }
}
