// Sends one outbox row by its notification's method. Only webhooks are delivered; a row of any
// other method (possible only for rows written around the API's validation) fails for good.
import type { DueDelivery } from "../store/meta/notifications";
import { sendWebhook, type SendOutcome, type WebhookOptions } from "./webhookSender";

export type DeliveryOutcome = SendOutcome;

export type DeliverySender = (delivery: DueDelivery, signal: AbortSignal) => Promise<DeliveryOutcome>;

/** A sender with the registry's settings: where webhooks may go, how names resolve, the timeout. */
export function deliverySender(settings: Omit<WebhookOptions, "signal"> = {}): DeliverySender {
  return async (delivery, signal) => {
    const url = delivery.config.url;
    if (delivery.method !== "webhook") return { ok: false, error: `method "${delivery.method}" is not delivered by Berth`, permanent: true };
    if (typeof url !== "string" || !url) return { ok: false, error: "webhook without config.url", permanent: true };
    return sendWebhook(url, delivery.payload, { ...settings, signal });
  };
}
