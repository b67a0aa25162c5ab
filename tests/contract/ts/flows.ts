// The buyer's and the seller's flows through a client generated from /schema/openapi.json: openapi-typescript's
// `paths` and openapi-fetch, typed end to end (`tsc --noEmit` must pass with `strict`), no hand-written types.
// Run by tests/contract/test_typescript_client.py, which sets the shops up and passes them in FLOW_INPUT; the last
// line printed is the outcome, as JSON.
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";
import { ok } from "./answers.js";

type Api = ReturnType<typeof createClient<paths>>;
interface Shop {
  seller_id: string;
  owner_identifier: string;
  product_slug: string;
  variant_id: string;
}
interface Input {
  base_url: string;
  shops: Shop[];
  search_words: string;
  seller_password: string;
  buyer_password: string;
  address: { recipient_name: string; phone: string; street: string; ward_code: number; province_code: number };
  quote: boolean;
}

const input = JSON.parse(process.env.FLOW_INPUT ?? "{}") as Input;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

function client(token?: string): Api {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return createClient<paths>({ baseUrl: input.base_url, headers });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function buyerFlow(anonymous: Api): Promise<{ buyer: Api; orderId: string; quotedFee: number | null }> {
  const tree = ok(await anonymous.GET("/api/v1/categories"), 200, "categories");
  check(tree.some((category) => category.slug === "trai-cay"), "the category tree has trai-cay");
  const wanted = new Set(input.shops.map((shop) => shop.product_slug));
  for (let attempt = 0; ; attempt++) {
    const query = { q: input.search_words };
    const found = ok(await anonymous.GET("/api/v1/search", { params: { query } }), 200, "search");
    if ([...wanted].every((slug) => found.hits.some((hit) => hit.slug === slug))) break;
    check(attempt < 300, `search never found ${[...wanted].join(", ")}`);
    await pause(100);
  }
  for (const shop of input.shops) {
    const path = { slug: shop.product_slug };
    const product = ok(await anonymous.GET("/api/v1/products/{slug}", { params: { path } }), 200, "product");
    check(product.variants.some((variant) => variant.id === shop.variant_id), "the product shows its variant");
  }
  const identifier = `lan${Date.now()}@example.vn`;
  const registered = ok(
    await anonymous.POST("/api/v1/accounts", {
      body: { identifier, name: "Trần Thị Lan", password: input.buyer_password, client: "mobile" },
    }),
    201,
    "register",
  );
  const token = registered.session.token;
  check(typeof token === "string" && token.length > 0, "a mobile client gets its bearer token");
  const buyer = client(token ?? "");
  for (const shop of input.shops) {
    const body = { variant_id: shop.variant_id, quantity: 2 };
    const line = ok(await buyer.POST("/api/v1/carts/current/lines", { body }), 201, "add to cart");
    check(line.quantity === 2, "the line holds 2");
  }
  const cart = ok(await buyer.GET("/api/v1/carts/current"), 200, "cart");
  check(cart.groups.length === 2, "the cart holds two sellers' lines");
  let quotedFee: number | null = null;
  if (input.quote) {
    const { quoteCart } = await import("./quote.js");
    quotedFee = await quoteCart(buyer, input.address.province_code, input.address.ward_code);
  }
  const key = randomUUID();
  const body = {
    payment_method: "cod" as const,
    shipping_address: input.address,
    contact: { phone: input.address.phone, email: "lan@example.vn" },
  };
  const header = { "Idempotency-Key": key };
  const order = ok(await buyer.POST("/api/v1/checkout", { params: { header }, body }), 201, "checkout");
  check(order.seller_orders.length === 2 && order.payment.method === "cod", "one COD order, two seller orders");
  if (quotedFee !== null) check(quotedFee === order.shipping_fee, "checkout charges the quoted shipping");
  const again = ok(await buyer.POST("/api/v1/checkout", { params: { header }, body }), 201, "checkout replayed");
  check(again.id === order.id, "the same Idempotency-Key replays the order");
  const path = { order_id: order.id };
  const read = ok(await buyer.GET("/api/v1/orders/{order_id}", { params: { path } }), 200, "order");
  check(read.total === order.total, "the order reads as placed");
  ok(await buyer.GET("/api/v1/orders/{order_id}/tracking", { params: { path } }), 200, "tracking");
  return { buyer, orderId: order.id, quotedFee };
}

async function sellerFlow(anonymous: Api): Promise<string> {
  const shop = input.shops[0];
  const credentials = { identifier: shop.owner_identifier, password: input.seller_password };
  const session = ok(await anonymous.POST("/seller/v1/sessions", { body: credentials }), 201, "seller sign-in");
  const seller = client(session.token);
  const suffix = Date.now().toString(36);
  const product = ok(
    await seller.POST("/seller/v1/products", {
      body: {
        name: "Muối tôm Tây Ninh",
        category: "muoi-tom",
        origin: { province_code: 80, ward_code: 25708, farm: "Cơ sở muối tôm cô Ba" },
        storage: "ambient",
        shelf_life_days: 180,
        variants: [{ sku: `MT-200-${suffix}`, unit: "hộp", unit_size: "hộp 200 g", price: 35000, weight_g: 260, stock: 50 }],
      },
    }),
    201,
    "create product",
  );
  const withVariant = ok(
    await seller.POST("/seller/v1/products/{product_id}/variants", {
      params: { path: { product_id: product.id } },
      body: { sku: `MT-500-${suffix}`, unit: "hộp", unit_size: "hộp 500 g", price: 80000, weight_g: 600, stock: 20 },
    }),
    201,
    "create variant",
  );
  check(withVariant.variants.some((variant) => variant.sku === `MT-500-${suffix}`), "the product has the new variant");
  const query = { status: "confirmed" as const };
  const page = ok(await seller.GET("/seller/v1/orders", { params: { query } }), 200, "seller orders");
  const mine = page.data.filter((sellerOrder) => sellerOrder.seller_id === shop.seller_id);
  check(mine.length === 1, "the seller has one order to pack");
  const path = { seller_order_id: mine[0].id };
  const started = ok(await seller.POST("/seller/v1/orders/{seller_order_id}/start-packing", { params: { path } }), 200,
    "start packing");
  check(started.status === "packing", "packing started");
  const packed = ok(
    await seller.POST("/seller/v1/orders/{seller_order_id}/pack", { params: { path }, body: { lines: [] } }),
    200,
    "pack",
  );
  check(packed.status === "packed", "packed");
  return packed.id;
}

async function main(): Promise<void> {
  const anonymous = client();
  const { buyer, orderId, quotedFee } = await buyerFlow(anonymous);
  const packedId = await sellerFlow(anonymous);
  const path = { order_id: orderId };
  for (let attempt = 0; ; attempt++) {  // the worker opens the parcel once the seller order is packed
    const parcels = ok(await buyer.GET("/api/v1/orders/{order_id}/tracking", { params: { path } }), 200, "tracking");
    if (parcels.data.some((parcel) => parcel.seller_order_id === packedId)) break;
    check(attempt < 300, "the packed seller order's parcel never showed in tracking");
    await pause(100);
  }
  console.log(JSON.stringify({ order_id: orderId, packed: packedId, quoted_fee: quotedFee }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
