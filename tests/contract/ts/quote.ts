// The buyer flow's shipping quote, compiled only when the document has POST /api/v1/shipping/quotes
// (tests/contract/test_typescript_client.py leaves it out, and says so, until then).
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";
import { ok } from "./answers.js";

type Api = ReturnType<typeof createClient<paths>>;

/** Shipping for the buyer's cart to a ward: one deliverable parcel per seller; returns the total fee. */
export async function quoteCart(buyer: Api, province_code: number, ward_code: number): Promise<number> {
  const body = { destination: { province_code, ward_code }, payment_method: "cod" as const };
  const quote = ok(await buyer.POST("/api/v1/shipping/quotes", { body }), 200, "shipping quote");
  if (!quote.deliverable || quote.sellers.length !== 2 || quote.shipping_fee === null) {
    throw new Error(`shipping quote: ${JSON.stringify(quote)}`);
  }
  return quote.shipping_fee;
}
