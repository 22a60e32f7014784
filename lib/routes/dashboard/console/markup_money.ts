/**
 * The console's money panel, in the usage view: each budget as a bar, the
 * price overrides with the snapshot's source and date, and the two small
 * forms that set a price override and a budget. The script is
 * `script_money.ts`.
 *
 * @module
 */

/** The console's form field markup (`markup.ts`), passed in. */
type Field = (name: string, label: string, control: string, hint?: string) => string;

const NUMBER = `<input type="number" step="any" min="0" placeholder="USD / 1M">`;

/** Inserted at the end of the usage view. */
export const moneySection = (field: Field): string => `
    <h2>Budgets</h2>
    <div id="budget-bars" class="budgets"></div>
    <form id="budget-form" class="row2" novalidate>
      ${
  field(
    "scope",
    "On",
    `<select><option value="keys">key</option><option value="groups">group</option></select>`,
  ).replaceAll("-%", "-bud")
}
      ${
  field("target", "Key or group id", `<input required autocomplete="off">`).replaceAll("-%", "-bud")
}
      ${
  field(
    "per",
    "Per",
    `<select><option>day</option><option>week</option><option>month</option><option>5h</option></select>`,
  ).replaceAll("-%", "-bud")
}
      ${
  field("usd", "USD", `<input type="number" step="any" min="0" placeholder="empty removes">`)
    .replaceAll("-%", "-bud")
}
      ${
  field(
    "alertAt",
    "Alert at",
    `<input type="number" step="any" min="0.01" max="1" placeholder="0.8">`,
  ).replaceAll("-%", "-bud")
}
      <div class="field"><label>&nbsp;</label><button type="submit">Set budget</button></div>
      <p class="form-error" role="alert"></p>
    </form>
    <h2>Prices</h2>
    <p class="meta" id="price-source"></p>
    <div class="scroll"><table><thead><tr><th>Model</th><th class="n">Input</th><th class="n">Output</th>
      <th class="n">Cached</th><th class="n hide-sm">Cache write</th><th class="n hide-sm">Write 1h</th><th></th></tr></thead>
      <tbody id="price-rows"></tbody></table></div>
    <form id="price-form" class="row2" novalidate>
      ${
  field("model", "Model", `<input required autocomplete="off" placeholder="gpt-5 or claude-*">`)
    .replaceAll("-%", "-price")
}
      ${
  field("input", "Input", NUMBER.replace("<input", "<input required")).replaceAll("-%", "-price")
}
      ${
  field("output", "Output", NUMBER.replace("<input", "<input required")).replaceAll("-%", "-price")
}
      ${field("cachedInput", "Cached input", NUMBER).replaceAll("-%", "-price")}
      ${field("cacheWrite", "Cache write", NUMBER).replaceAll("-%", "-price")}
      ${field("cacheWrite1h", "Cache write 1h", NUMBER).replaceAll("-%", "-price")}
      <div class="field"><label>&nbsp;</label><button type="submit">Set price</button></div>
      <p class="form-error" role="alert"></p>
    </form>`;
