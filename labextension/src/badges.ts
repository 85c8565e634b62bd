// Tag badges on every cell of every notebook: the cell's tags coloured by what they mean to the
// compiler, the step an untagged cell silently joins, and the diagnostics that concern it.
// A click opens the tag editor.
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { IDiagnostic, IPipeline } from './api';
import { editTags } from './editor';
import { PipelineStore } from './store';
import { tagKind } from './tags';

const HOST_CLASS = 'wb-cell-badges';

function cellTags(cell: Cell): string[] {
  const tags = cell.model.getMetadata('tags');
  return Array.isArray(tags) ? tags.map(String) : [];
}

function cellIndex(panel: NotebookPanel, cell: Cell): number {
  return panel.content.widgets.indexOf(cell);
}

/** The parser's view of this cell in the last analysis (by id, else by position). */
function roleOf(pipeline: IPipeline | undefined, id: string, index: number) {
  if (!pipeline) {
    return undefined;
  }
  return pipeline.cells.find(c => c.id === id) ?? pipeline.cells.find(c => c.index === index);
}

function diagnosticsOf(
  pipeline: IPipeline | undefined,
  id: string,
  index: number
): IDiagnostic[] {
  if (!pipeline) {
    return [];
  }
  return pipeline.diagnostics.filter(d =>
    d.cell_id ? d.cell_id === id : d.cell !== null && d.cell === index
  );
}

export class BadgeDecorator {
  constructor(private store: PipelineStore) {}

  /** Decorate a notebook now and every cell added to it later. */
  track(panel: NotebookPanel): void {
    const redraw = () => this.decorateAll(panel);
    void panel.context.ready.then(() => {
      redraw();
      panel.content.model?.cells.changed.connect(() => setTimeout(redraw, 0));
    });
    const onStore = (_: PipelineStore, path: string) => {
      if (path === panel.context.path) {
        redraw();
      }
    };
    this.store.changed.connect(onStore);
    panel.disposed.connect(() => this.store.changed.disconnect(onStore));
  }

  decorateAll(panel: NotebookPanel): void {
    for (const cell of panel.content.widgets) {
      if (cell.isDisposed) {
        continue;
      }
      if (!(cell as any).__wbTracked) {
        (cell as any).__wbTracked = true;
        cell.model.metadataChanged.connect(() => this.draw(panel, cell));
        void cell.ready.then(() => this.draw(panel, cell));
      }
      this.draw(panel, cell);
    }
  }

  private host(cell: Cell): HTMLElement {
    let host = cell.node.querySelector<HTMLElement>(`:scope > .${HOST_CLASS}`);
    if (!host) {
      host = document.createElement('div');
      host.className = HOST_CLASS;
    }
    // right above the cell's input; checked on every draw because a cell builds (and a
    // windowed notebook rebuilds) its DOM after it was first decorated
    const input = cell.node.querySelector(':scope > .jp-Cell-inputWrapper');
    if (input && input.previousElementSibling !== host) {
      cell.node.insertBefore(host, input);
    } else if (!input && host.parentElement !== cell.node) {
      cell.node.prepend(host);
    }
    return host;
  }

  draw(panel: NotebookPanel, cell: Cell): void {
    if (cell.isDisposed) {
      return;
    }
    const host = this.host(cell);
    host.replaceChildren();
    const pipeline = this.store.get(panel.context.path);
    const index = cellIndex(panel, cell);
    const tags = cellTags(cell);
    const open = () => void editTags(cell, pipeline);
    for (const tag of tags) {
      const badge = document.createElement('button');
      badge.className = `wb-badge wb-badge-${tagKind(tag)}`;
      badge.textContent = tag;
      badge.title = `cell tag ${tag}: click to change this cell's tags`;
      badge.onclick = open;
      host.appendChild(badge);
    }
    if (cell.model.type === 'code') {
      const role = roleOf(pipeline, cell.model.id, index);
      if (!tags.length && role && role.role === 'step' && role.step) {
        // the compiler's rule made visible: an untagged cell joins the step above it
        const joined = document.createElement('span');
        joined.className = 'wb-badge wb-badge-joined';
        joined.textContent = `in step:${role.step}`;
        joined.title = 'untagged: this cell joins the step above it';
        host.appendChild(joined);
      }
      const add = document.createElement('button');
      add.className = 'wb-badge wb-badge-add';
      add.textContent = tags.length ? '✎' : '+ tag';
      add.title = "change this cell's tags";
      add.onclick = open;
      host.appendChild(add);
    }
    for (const diag of diagnosticsOf(pipeline, cell.model.id, index)) {
      const line = document.createElement('div');
      line.className = `wb-diagnostic wb-diagnostic-${diag.severity}`;
      const where = diag.line !== null ? `line ${diag.line}: ` : '';
      line.textContent = `${diag.severity}: ${where}${diag.message}`;
      if (diag.hint) {
        line.title = `hint: ${diag.hint}`;
      }
      host.appendChild(line);
    }
  }
}
