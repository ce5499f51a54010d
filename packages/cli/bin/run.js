#!/usr/bin/env node
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { main } from '../dist/main.js'

await main(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'))
