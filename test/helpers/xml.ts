/**
 * A strict little XML parser for checking reports: elements, attributes,
 * text, the five named entities and numeric references, an optional
 * declaration. Throws on anything not well-formed (an unescaped `<` or `&`,
 * a tag closed out of order, a duplicate attribute, text outside the root).
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = '[A-Za-z_][\\w.-]*';
const ATTRIBUTE = new RegExp(`\\s+(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'y');
const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decode(text: string, at: number): string {
  return text.replace(/&([^;]*);|&/g, (_match, entity: string | undefined) => {
    if (entity === undefined) throw new Error(`bare & near offset ${at}`);
    const named = ENTITIES[entity];
    if (named !== undefined) return named;
    const numeric = /^#(x[0-9a-fA-F]+|\d+)$/.exec(entity);
    if (numeric?.[1] === undefined) throw new Error(`unknown entity &${entity}; near ${at}`);
    const code = numeric[1].startsWith('x')
      ? Number.parseInt(numeric[1].slice(1), 16)
      : Number(numeric[1]);
    return String.fromCodePoint(code);
  });
}

export function parseXml(source: string): XmlElement {
  let at = 0;
  const declaration = /^<\?xml[^?]*\?>\s*/.exec(source);
  if (declaration) at = declaration[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (at < source.length) {
    const lt = source.indexOf('<', at);
    const text = source.slice(at, lt < 0 ? source.length : lt);
    const top = stack.at(-1);
    if (top !== undefined) top.text += decode(text, at);
    else if (text.trim() !== '') throw new Error(`text outside the root at ${at}`);
    if (lt < 0) break;
    at = lt;
    if (source.startsWith('</', at)) {
      const close = new RegExp(`</(${NAME})\\s*>`, 'y');
      close.lastIndex = at;
      const match = close.exec(source);
      if (!match) throw new Error(`bad closing tag at ${at}`);
      const open = stack.pop();
      if (open?.name !== match[1])
        throw new Error(`</${match[1]}> closes <${open?.name}> at ${at}`);
      at = close.lastIndex;
      continue;
    }
    const open = new RegExp(`<(${NAME})`, 'y');
    open.lastIndex = at;
    const match = open.exec(source);
    if (!match?.[1]) throw new Error(`bad tag at ${at}`);
    at = open.lastIndex;
    const attributes: Record<string, string> = {};
    for (;;) {
      ATTRIBUTE.lastIndex = at;
      const attribute = ATTRIBUTE.exec(source);
      if (!attribute?.[1]) break;
      if (attribute[1] in attributes) throw new Error(`duplicate attribute ${attribute[1]}`);
      attributes[attribute[1]] = decode(attribute[2] ?? attribute[3] ?? '', at);
      at = ATTRIBUTE.lastIndex;
    }
    const end = /\s*(\/?)>/y;
    end.lastIndex = at;
    const ending = end.exec(source);
    if (!ending) throw new Error(`unterminated <${match[1]}> at ${at}`);
    at = end.lastIndex;
    const element: XmlElement = { name: match[1], attributes, children: [], text: '' };
    const parent = stack.at(-1);
    if (parent !== undefined) parent.children.push(element);
    else if (root === null) root = element;
    else throw new Error('a second root element');
    if (ending[1] !== '/') stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)?.name}> is never closed`);
  if (root === null) throw new Error('no root element');
  return root;
}

/** Every element named `name` under `element`, depth first. */
export function elementsNamed(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) found.push(e);
    for (const child of e.children) walk(child);
  };
  walk(element);
  return found;
}
