"""Drives `cairn mcp` with the official MCP Python SDK's stdio client.

Usage: client.py CAIRN_BINARY STEPS_JSON -- CAIRN_ARGS...

STEPS_JSON is a list of steps; the answers are printed as one JSON list.
  {"tools": true}                              -> [{name, input_schema}]
  {"call": NAME, "args": {...}}                -> {is_error, text} or {exception, message}
  {"resources": true}                          -> {count, pages, first}
  {"templates": true}                          -> [uri_template]
  {"read": URI}                                -> {text} or {exception, message}
  {"write": PATH, "text": TEXT}                -> null (edits the catalog mid-session)
  {"run": [ARGS...]}                           -> exit status (runs cairn with ARGS)
  {"until": {"call": NAME, "args": {...}}, "contains": TEXT, "seconds": N}
                                               -> the first answer containing TEXT
"""

import asyncio
import json
import subprocess
import sys
import time

from mcp import Client, StdioServerParameters


async def call(client, name, args):
    try:
        result = await client.call_tool(name, args)
        return {"is_error": bool(result.is_error), "text": "".join(c.text for c in result.content)}
    except Exception as error:  # a JSON-RPC error: the session goes on
        return {"exception": type(error).__name__, "message": str(error)}


async def main():
    binary, steps = sys.argv[1], json.loads(sys.argv[2])
    cairn_args = sys.argv[sys.argv.index("--") + 1 :]
    server = StdioServerParameters(command=binary, args=cairn_args)
    answers = []
    async with Client(server) as client:
        for step in steps:
            if "tools" in step:
                tools = await client.list_tools()
                answers.append([{"name": t.name, "input_schema": t.input_schema} for t in tools.tools])
            elif "call" in step:
                answers.append(await call(client, step["call"], step.get("args", {})))
            elif "resources" in step:
                page = await client.list_resources()
                first, count, pages = page.resources[0].uri, len(page.resources), 1
                while page.next_cursor:
                    page = await client.list_resources(cursor=page.next_cursor)
                    count, pages = count + len(page.resources), pages + 1
                answers.append({"count": count, "pages": pages, "first": str(first)})
            elif "templates" in step:
                templates = await client.list_resource_templates()
                answers.append([t.uri_template for t in templates.resource_templates])
            elif "read" in step:
                try:
                    read = await client.read_resource(step["read"])
                    answers.append({"text": read.contents[0].text})
                except Exception as error:
                    answers.append({"exception": type(error).__name__, "message": str(error)})
            elif "write" in step:
                with open(step["write"], "w", encoding="utf-8") as file:
                    file.write(step["text"])
                answers.append(None)
            elif "run" in step:
                answers.append(subprocess.run([binary, *step["run"]], capture_output=True).returncode)
            elif "until" in step:
                deadline = time.monotonic() + step.get("seconds", 30)
                while True:
                    answer = await call(client, step["until"]["call"], step["until"].get("args", {}))
                    if step["contains"] in json.dumps(answer) or time.monotonic() > deadline:
                        answers.append(answer)
                        break
                    await asyncio.sleep(0.2)
    print(json.dumps(answers))


asyncio.run(main())
