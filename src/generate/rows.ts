/**
 * The kinds of rows the generator produces and the columns of each, in the
 * order of their CSV files (docs/data-formats.md describes every column).
 */

export type RowKind =
  | 'merchants'
  | 'fx-rating-changes'
  | 'risk-flags'
  | 'orders'
  | 'order-events'
  | 'charges'
  | 'settlements'
  | 'fx-rates';

export interface GeneratedRow {
  readonly kind: RowKind;
  readonly row: Record<string, string>;
}

export const COLUMNS: Readonly<Record<RowKind, readonly string[]>> = {
  merchants: ['id', 'fxRating'],
  'fx-rating-changes': ['merchantId', 'at', 'rating'],
  'risk-flags': ['merchantId', 'from', 'to'],
  orders: ['id', 'merchantId', 'service', 'type', 'amountUsd', 'clearedAt', 'usdCny'],
  'order-events': ['orderId', 'at', 'status'],
  charges: ['id', 'orderId', 'merchantId', 'kind', 'amountCny', 'at'],
  settlements: ['id', 'merchantId', 'currency', 'amount', 'baseRate', 'account', 'at'],
  'fx-rates': ['month', 'usdCny'],
};

export const ROW_KINDS = Object.keys(COLUMNS) as readonly RowKind[];

export function fileNameOf(kind: RowKind): string {
  return `${kind}.csv`;
}
