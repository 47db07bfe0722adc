/**
 * The preload of every window (sandboxed, so bundled into one CommonJS file by vite.config.ts):
 * puts the bridge on window.modelmeter and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL } from '../../../shared/bridge.js';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, createBridge(ipcRenderer, process.platform));
