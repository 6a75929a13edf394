// What the API reference (generated from the sources by `npm run docs`) would be missing: walks
// index.ts's exports (namespaces included) with the compiler, and type-checks each @example.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import ts from 'typescript'

interface Gap {
  name: string
  missing: string
}

interface Example {
  name: string
  code: string
}

export function undocumented(): { gaps: Gap[]; examples: Example[]; counted: { classes: number; functions: number; members: number } } {
  const program = ts.createProgram([resolve(import.meta.dirname, '..', '..', 'index.ts')], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
  })
  const checker = program.getTypeChecker()
  const entry = checker.getSymbolAtLocation(program.getSourceFile(resolve(import.meta.dirname, '..', '..', 'index.ts'))!)!
  const gaps: Gap[] = []
  const examples: Example[] = []
  const counted = { classes: 0, functions: 0, members: 0 }
  const summary = (s: ts.Symbol) => ts.displayPartsToString(s.getDocumentationComment(checker)).trim()
  const hasExample = (s: ts.Symbol) => s.getJsDocTags(checker).some((t) => t.name === 'example')
  const internal = (d: ts.Declaration) => ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal')
  const seen = new Set<ts.Symbol>()

  const visit = (symbol: ts.Symbol, name: string): void => {
    const s = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    if (s.flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) {
      for (const e of checker.getExportsOfModule(s)) visit(e, `${name}.${e.name}`)
      return
    }
    if (seen.has(s)) return
    seen.add(s)
    const isClass = (s.flags & ts.SymbolFlags.Class) !== 0
    if (!isClass && !(s.flags & ts.SymbolFlags.Function)) return
    counted[isClass ? 'classes' : 'functions']++
    if (!summary(s)) gaps.push({ name, missing: 'summary' })
    if (!hasExample(s)) gaps.push({ name, missing: '@example' })
    for (const tag of s.getJsDocTags(checker).filter((t) => t.name === 'example')) {
      const text = ts.displayPartsToString(tag.text)
      const code = /```ts\n([\s\S]*?)```/.exec(text)?.[1]
      if (code === undefined) gaps.push({ name, missing: 'a ```ts block in its @example' })
      else examples.push({ name, code })
    }
    if (!isClass) return
    const members = [...checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(s)), ...checker.getPropertiesOfType(checker.getTypeOfSymbol(s))]
    for (const m of members) {
      const decl = m.valueDeclaration ?? m.declarations?.[0]
      if (!decl || m.name === 'prototype' || m.name.startsWith('__@') || m.name.startsWith('#')) continue
      if (ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || internal(decl)) continue
      // An inherited member is checked where it is declared.
      const owner = decl.parent
      if (ts.isClassLike(owner) && owner.name && checker.getSymbolAtLocation(owner.name) !== s) continue
      counted.members++
      if (!summary(m)) gaps.push({ name: `${name}.${m.name}`, missing: 'summary' })
    }
  }
  for (const e of checker.getExportsOfModule(entry)) visit(e, e.name)
  return { gaps, examples, counted }
}

/** Compiler errors of each example, compiled as its own ES module with 'seqtorch' mapped to index.ts. */
export function exampleErrors(examples: Example[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'seqtorch-examples-'))
  try {
    const files = examples.map((e, i) => {
      const file = join(dir, `example_${i}.mts`)
      writeFileSync(file, `// ${e.name}\n${e.code}\nexport {}\n`)
      return file
    })
    const root = resolve(import.meta.dirname, '..', '..')
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      paths: { seqtorch: [join(root, 'index.ts')] },
    })
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const file = d.file ? examples[Number(/example_(\d+)/.exec(d.file.fileName)?.[1])]?.name ?? d.file.fileName : ''
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
      return `${file} (example line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

