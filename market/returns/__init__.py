"""Returns after delivery: a buyer returns lines of a delivered seller order within the return window; the seller
accepts (a return parcel, stock back on arrival, the refund) or refuses; an operator decides disputes."""
