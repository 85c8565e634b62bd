// The tag editor a badge click opens: the tags as text, and the compiler's tags as chips that
// toggle in it. Saving writes the cell's `tags` metadata (the notebook becomes dirty, as with
// JupyterLab's own tag editor).
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Cell } from '@jupyterlab/cells';
import { Widget } from '@lumino/widgets';

import { IPipeline } from './api';
import { parseTags, suggestions, tagKind } from './tags';

class TagBody extends Widget {
  readonly input: HTMLInputElement;

  constructor(tags: string[], offered: string[]) {
    super();
    this.addClass('wb-tag-editor');
    this.input = document.createElement('input');
    this.input.className = 'jp-mod-styled wb-tag-input';
    this.input.value = tags.join(', ');
    this.input.placeholder = 'step:NAME, parameters, skip, ...';
    this.node.appendChild(this.input);
    const chips = document.createElement('div');
    chips.className = 'wb-tag-chips';
    for (const tag of offered) {
      const chip = document.createElement('button');
      chip.className = `wb-badge wb-badge-${tagKind(tag)}`;
      chip.textContent = tag;
      chip.onclick = event => {
        event.preventDefault();
        const current = parseTags(this.input.value);
        const next = current.includes(tag)
          ? current.filter(t => t !== tag)
          : [...current, tag];
        this.input.value = next.join(', ');
      };
      chips.appendChild(chip);
    }
    this.node.appendChild(chips);
  }

  getValue(): string[] {
    return parseTags(this.input.value);
  }
}

export async function editTags(cell: Cell, pipeline: IPipeline | undefined): Promise<void> {
  const current = cell.model.getMetadata('tags');
  const tags = Array.isArray(current) ? current.map(String) : [];
  const steps = pipeline ? pipeline.steps.map(s => s.name) : [];
  const body = new TagBody(tags, suggestions(steps));
  const result = await showDialog({
    title: 'Cell tags',
    body,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Set tags' })]
  });
  if (!result.button.accept || result.value === null) {
    return;
  }
  const next = result.value as string[];
  if (next.length) {
    cell.model.setMetadata('tags', next);
  } else {
    cell.model.deleteMetadata('tags');
  }
}
