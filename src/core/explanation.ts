/**
 * Why an amount is what it is (SPEC §11): the rulebook version, the inputs,
 * and one short sentence in Chinese and in English. Built by the rule that
 * computed the amount, stored beside it, and printed as it was.
 */
export interface Explanation {
  readonly rulebook: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly en: string;
  readonly zh: string;
}
