import { type Currency, money } from '../format';

/** An amount in its currency, grouped, in tabular digits so columns line up. */
export function Amount({
  value,
  currency,
}: {
  readonly value: string | null;
  readonly currency: Currency;
}) {
  return <span className="amount">{money(value, currency)}</span>;
}
